'use strict'

// The generated loader; one place so every module loads the addon the same way.
module.exports = require('../binding.js')
