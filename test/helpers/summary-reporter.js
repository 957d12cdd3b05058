// Prints the one closing line CI reads: "N passed, N failed" (with ", N skipped" when any were skipped).
// Jest always runs its own summary reporter after the custom ones, so the line is written when the process
// exits: only then is it really the last line. Written synchronously (stderr, where jest's summary goes).
const fs = require('node:fs')

class SummaryReporter {
  constructor() {
    this.line = undefined
    process.once('exit', () => {
      if (this.line) fs.writeSync(2, this.line)
    })
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites
    this.line = `\n${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`
  }
}
module.exports = SummaryReporter
