'use strict'

// leakwatch.express({ token, redact }): a router for Express (or any connect-style
// app) with GET /status, POST /snapshot and GET /metrics. Every route needs
// `Authorization: Bearer <token>`: heap snapshots hold the process's secrets.
// It is a plain (req, res, next) handler, so it needs no express import.
const crypto = require('crypto')
const fs = require('fs')
const path = require('path')
const { snapshot, isBusy } = require('./publish')
const { watchSnapshotOptions: snapshotOptions, isPlainObject, rejectUnknown, usableSnapshotDir } = require('./options')
const metrics = require('./metrics')
const { invalidOption } = require('./errors')

const MIN_TOKEN_LENGTH = 16
const ROUTES = { '/status': 'GET', '/snapshot': 'POST', '/metrics': 'GET' }
const STATUS_BY_CODE = {
  ERR_LEAKWATCH_INVALID_OPTION: 400,
  ERR_LEAKWATCH_BUSY: 429,
  ERR_LEAKWATCH_NO_DISK_HEADROOM: 507,
  ERR_LEAKWATCH_DISK_FULL: 507,
  ERR_LEAKWATCH_NO_MEMORY_HEADROOM: 503,
}

function digest(s) {
  return crypto.createHash('sha256').update(s).digest()
}

// Hashing first makes the comparison constant-time whatever the lengths.
function tokenMatches(header, expected) {
  const m = /^Bearer (.+)$/.exec(header || '')
  return Boolean(m) && crypto.timingSafeEqual(digest(m[1]), expected)
}

function sendJson(res, status, body, headers = {}) {
  const data = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Cache-Control', 'no-store')
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  res.end(data)
}

function sendError(res, status, code, message, headers) {
  sendJson(res, status, { error: { code, message } }, headers)
}

function parseBoolean(name, v) {
  if (v === null || v === '0' || v === 'false') return false
  if (v === '' || v === '1' || v === 'true') return true
  throw invalidOption(name, 'expected 1, 0, true or false')
}

function routerOptions(opts) {
  if (!isPlainObject(opts)) throw invalidOption('options', 'expected an object with a token')
  rejectUnknown(opts, ['token', 'snapshot', 'redact'])
  if (opts.redact !== undefined && typeof opts.redact !== 'boolean') throw invalidOption('redact', 'expected a boolean')
  if (typeof opts.token !== 'string' || opts.token.length < MIN_TOKEN_LENGTH) {
    throw invalidOption('token', `the router refuses to mount without a bearer token of at least ${MIN_TOKEN_LENGTH} characters`)
  }
  const base = usableSnapshotDir(snapshotOptions(opts.snapshot))
  // Either switch forces redaction: a request cannot turn it off.
  return { expected: digest(opts.token), base, forceRedact: opts.redact === true || base.redact }
}

/** Builds the middleware; throws ERR_LEAKWATCH_INVALID_OPTION without a token. */
function router(opts) {
  const { expected, base, forceRedact } = routerOptions(opts)

  async function takeSnapshot(req, res, query) {
    rejectUnknown(Object.fromEntries(query), ['download', 'label', 'redact'], 'query parameter')
    const download = parseBoolean('download', query.get('download'))
    const asked = query.has('redact') ? parseBoolean('redact', query.get('redact')) : null
    if (forceRedact && asked === false) throw invalidOption('redact', 'this router always redacts snapshots')
    const redact = forceRedact || asked === true
    if (isBusy()) {
      return sendError(res, 429, 'ERR_LEAKWATCH_BUSY', 'a snapshot is already being taken', { 'Retry-After': '5' })
    }
    const label = query.get('label')
    const info = await snapshot({ ...base, redact, ...(label !== null ? { label } : {}) })
    if (!download) return sendJson(res, 201, info)
    res.statusCode = 200
    res.setHeader('Content-Type', 'application/gzip')
    res.setHeader('Content-Length', String(info.bytes))
    res.setHeader('Content-Disposition', `attachment; filename="${path.basename(info.path)}"`)
    res.setHeader('Cache-Control', 'no-store')
    fs.createReadStream(info.path).on('error', (err) => res.destroy(err)).pipe(res)
  }

  async function handle(req, res, next) {
    const url = new URL(req.url, 'http://localhost')
    const route = url.pathname.replace(/\/+$/, '') || '/'
    const method = ROUTES[route]
    if (!method) return next()
    if (!tokenMatches(req.headers.authorization, expected)) {
      return sendError(res, 401, 'ERR_LEAKWATCH_UNAUTHORIZED', 'a valid bearer token is required', { 'WWW-Authenticate': 'Bearer realm="leakwatch"' })
    }
    if (req.method !== method) {
      return sendError(res, 405, 'ERR_LEAKWATCH_METHOD_NOT_ALLOWED', `use ${method} ${route}`, { Allow: method })
    }
    try {
      if (route === '/status') return sendJson(res, 200, metrics.status())
      if (route === '/metrics') {
        res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
        res.setHeader('Cache-Control', 'no-store')
        return res.end(metrics.prometheusText())
      }
      return await takeSnapshot(req, res, url.searchParams)
    } catch (err) {
      const status = STATUS_BY_CODE[err.code] || 500
      return sendError(res, status, err.code || 'ERR_LEAKWATCH_INTERNAL', err.message)
    }
  }

  return (req, res, next = () => sendError(res, 404, 'ERR_LEAKWATCH_NOT_FOUND', 'no such route')) => {
    handle(req, res, next).catch(next)
  }
}

module.exports = { router }
