// The entry of dist/yaml.js: the YAML library as one bundle.
module.exports = require('yaml')
