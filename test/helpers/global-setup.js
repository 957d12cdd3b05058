// Runs once in jest's main process, before the workers start (they inherit its environment).
//
// Node reads the file NODE_EXTRA_CA_CERTS names at every start: with the system's bundle that is about
// 60-80 ms of CPU per process, more than tunadm's own start. The tests start node more than a thousand
// times (tunadm, its examples, nested jest) and none of them makes a TLS connection, so the variable is
// taken out of the tests' environment. It is kept as TUNADM_TEST_NODE_EXTRA_CA_CERTS for the one kind of
// child that may reach a registry: npm (the package tests), see npmEnv() in test/helpers/kernel.ts.
module.exports = async function globalSetup() {
  const ca = process.env.NODE_EXTRA_CA_CERTS
  if (ca !== undefined) {
    process.env.TUNADM_TEST_NODE_EXTRA_CA_CERTS = ca
    delete process.env.NODE_EXTRA_CA_CERTS
  }
}
