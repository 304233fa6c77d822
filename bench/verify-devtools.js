'use strict'
// node --experimental-websocket bench/verify-devtools.js  (needs `chromium` on PATH)
// Loads a snapshot and its redacted copy (`leakwatch redact`) with the DevTools
// frontend's own HeapSnapshotLoader inside headless Chromium, over the Chrome
// DevTools Protocol, and checks both build with the same node count, statistics
// and total retained size. Writes bench/results/devtools-redaction.json.
const { spawn, spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const zlib = require('zlib')

const OUT = path.join(__dirname, 'results', 'devtools-redaction.json')
const WORKER = 'devtools://devtools/bundled/entrypoints/heap_snapshot_worker/heap_snapshot_worker.js'

function text(file) {
  const body = fs.readFileSync(file)
  return (body[0] === 0x1f ? zlib.gunzipSync(body) : body).toString('utf8')
}

// Runs in the DevTools page. The loader hands part of its work to a second
// thread through a MessagePort; the dispatcher sets that side up here.
async function loadInDevTools(workerUrl, snapshotText) {
  const m = await import(workerUrl)
  const dispatcher = new m.HeapSnapshotWorkerDispatcher.HeapSnapshotWorkerDispatcher(() => {})
  const channel = new MessageChannel()
  await dispatcher.dispatchMessage({ data: { callId: 1, disposition: 'setupForSecondaryInit', objectId: 1 }, ports: [channel.port2] })
  const loader = new m.HeapSnapshotLoader.HeapSnapshotLoader({ sendEvent() {} })
  for (let o = 0; o < snapshotText.length; o += 65536) loader.write(snapshotText.slice(o, o + 65536))
  loader.close()
  const snap = await loader.buildSnapshot(channel.port1)
  return JSON.stringify({
    nodeCount: snap.nodeCount,
    statistics: snap.getStatistics(),
    rootRetainedSize: snap.retainedSizes[0],
    placeholders: snap.strings.filter((s) => /^<redacted \d+>$/.test(s)).length,
  })
}

async function cdp(wsUrl) {
  const ws = new WebSocket(wsUrl)
  await new Promise((resolve, reject) => { ws.addEventListener('open', resolve); ws.addEventListener('error', reject) })
  let id = 0
  const pending = new Map()
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(ev.data)
    if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id) }
  })
  const send = (method, params = {}, sessionId) => new Promise((resolve) => {
    pending.set(++id, resolve)
    ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }))
  })
  return { send, close: () => ws.close() }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-devtools-'))
  const plain = path.join(dir, 'plain.heapsnapshot')
  const redacted = path.join(dir, 'redacted.heapsnapshot.gz')
  spawnSync(process.execPath, ['-e', `global.s = 'secret-' + Math.random(); require('v8').writeHeapSnapshot(${JSON.stringify(plain)})`])
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'bin', 'leakwatch.js'), 'redact', plain, redacted], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  const chrome = spawn('chromium', ['--headless=new', '--no-sandbox', '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', `--user-data-dir=${path.join(dir, 'profile')}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  const wsUrl = await new Promise((resolve) => chrome.stderr.on('data', (d) => { err += d; const m = /ws:\/\/\S+/.exec(err); if (m) resolve(m[0]) }))
  const { send, close } = await cdp(wsUrl)
  const version = (await send('Browser.getVersion')).result.product
  const { result: { targetId } } = await send('Target.createTarget', { url: 'devtools://devtools/bundled/devtools_app.html' })
  const { result: { sessionId } } = await send('Target.attachToTarget', { targetId, flatten: true })
  await new Promise((r) => setTimeout(r, 2000))
  const loaded = {}
  for (const [name, file] of [['plain', plain], ['redacted', redacted]]) {
    const expression = `(${loadInDevTools})(${JSON.stringify(WORKER)}, ${JSON.stringify(text(file))})`
    const res = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)
    if (res.result.exceptionDetails) throw new Error(`${name}: ${JSON.stringify(res.result.exceptionDetails).slice(0, 500)}`)
    loaded[name] = JSON.parse(res.result.result.value)
  }
  close()
  chrome.kill()
  fs.rmSync(dir, { recursive: true, force: true })
  const same = loaded.plain.nodeCount === loaded.redacted.nodeCount &&
    JSON.stringify(loaded.plain.statistics) === JSON.stringify(loaded.redacted.statistics) &&
    loaded.plain.rootRetainedSize === loaded.redacted.rootRetainedSize
  const result = { benchmark: 'devtools-redaction', date: new Date().toISOString(), chromium: version, loaded, sameGraph: same, redactedHasPlaceholders: loaded.redacted.placeholders > 0 }
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n')
  console.log(result)
  if (!same || !result.redactedHasPlaceholders) process.exitCode = 1
}

main().catch((e) => { console.error(e); process.exit(1) })
