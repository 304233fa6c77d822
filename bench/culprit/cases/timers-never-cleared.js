'use strict'
// A retry timer armed per job and never cleared when the job succeeds.
function scheduleRetry(i) {
  const job = { id: i, attempts: 0, target: `/jobs/${i}` }
  setTimeout(function retry() {
    job.attempts++
  }, 2 * 3600 * 1000)
}

module.exports = {
  expect: { holder: 'retry', kind: 'timers', allocator: 'scheduleRetry' },
  step(i) { scheduleRetry(i) },
}
