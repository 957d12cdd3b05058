// Prints the one closing line CI reads: "N passed, N failed" (with ", N skipped" when any were skipped).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites
    // stderr, where jest's own summary goes: so this line really is the last one.
    process.stderr.write(`\n${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  }
}
module.exports = SummaryReporter
