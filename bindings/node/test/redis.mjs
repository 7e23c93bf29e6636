// A real redis-server on a free loopback port for the fleet tests. When redis-server is not
// installed the caller skips, saying so, unless the environment variable CI is set: then it
// fails (test.sh installs redis-server from apt when it is missing).

import { spawn, spawnSync } from 'node:child_process'
import { connect, createServer } from 'node:net'

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function answers(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(200, () => socket.destroy())
    socket.once('error', () => resolve(false))
    socket.once('close', () => resolve(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
  })
}

/** Whether tests needing Redis run: a string (why not) to skip, or false to run. */
export function redisSkip() {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  if (found) return false
  if (process.env.CI) throw new Error('redis-server is not installed (bindings/node/test.sh installs it)')
  return 'redis-server is not installed (bindings/node/test.sh installs it)'
}

/** Starts a fresh redis-server (no persistence); returns `{ url, stop }`. */
export async function startRedis() {
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const stop = () => {
    child.kill('SIGKILL')
  }
  const deadline = Date.now() + 10_000
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stop()
      throw new Error(`redis-server did not answer on port ${port}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return { url: `redis://127.0.0.1:${port}`, stop }
}
