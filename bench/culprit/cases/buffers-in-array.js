'use strict'
// Upload chunks kept in an array after the upload is done.
const uploadChunks = []

function readChunk(i) {
  uploadChunks.push(Buffer.alloc(2048, i & 0xff))
}

module.exports = {
  expect: { holder: 'uploadChunks', kind: 'external-buffers', allocator: 'readChunk' },
  perRound: 200,
  step(i) { readChunk(i) },
}
