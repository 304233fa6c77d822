'use strict'
// A job queue built as one promise chain; the first job never settles, so every
// job queued after it stays pending, each promise resolving into the next.
let release = null
let queue = new Promise((resolve) => {
  release = resolve
})

function enqueueJob(i) {
  const job = { id: i, args: [i, `arg-${i}`] }
  queue = queue.then(function runJob() {
    return job.id
  })
}

module.exports = {
  expect: { holder: 'release', kind: 'promise-chain', allocator: 'enqueueJob' },
  step(i) { enqueueJob(i) },
  teardown() { if (release) release() },
}
