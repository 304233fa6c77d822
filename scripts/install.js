'use strict'
// npm "install" hook. In a consumer's project: use a prebuilt binary when one
// matches this platform, else build the addon from the shipped Rust sources
// with cargo (consumers do not get the napi CLI, a devDependency, so this
// calls cargo directly and names the library the way binding.js loads it).
// In a checkout of the repo it does nothing: `prepare` builds with the napi CLI.
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')

function platformSuffix() {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch]
  if (process.platform !== 'linux' || !arch) return null
  const musl = !process.report || !process.report.getReport().header.glibcVersionRuntime
  return `linux-${arch}-${musl ? 'musl' : 'gnu'}`
}

function isCheckout() {
  try {
    require.resolve('@napi-rs/cli/package.json', { paths: [root] })
    // Not Cargo.lock: the published package ships it too.
    return fs.existsSync(path.join(root, '.git'))
  } catch {
    return false
  }
}

function prebuiltLoads() {
  try {
    require(path.join(root, 'binding.js'))
    return true
  } catch {
    return false
  }
}

function buildFromSource(suffix) {
  try {
    execFileSync('cargo', ['--version'], { stdio: 'ignore' })
  } catch {
    console.error(`leakwatch: no prebuilt binary for ${process.platform}-${process.arch}, and cargo was not found to build one.
Install the Rust toolchain (https://rustup.rs) and reinstall, or use a platform with a prebuilt binary.`)
    process.exit(1)
  }
  console.error(`leakwatch: building the native addon from source for ${suffix} (cargo build --release)`)
  execFileSync('cargo', ['build', '--release', '--locked'], { cwd: root, stdio: 'inherit' })
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target')
  const built = path.join(targetDir, 'release', 'libleakwatch.so')
  const dest = path.join(root, `leakwatch.${suffix}.node`)
  fs.copyFileSync(built, dest + '.tmp')
  fs.renameSync(dest + '.tmp', dest)
}

function main() {
  if (isCheckout() && !process.env.LEAKWATCH_BUILD_FROM_SOURCE) return
  const suffix = platformSuffix()
  if (!suffix) {
    console.error(`leakwatch: ${process.platform}-${process.arch} is not supported (Linux x64/arm64 only)`)
    process.exit(1)
  }
  if (!process.env.LEAKWATCH_BUILD_FROM_SOURCE && prebuiltLoads()) return
  buildFromSource(suffix)
}

main()
