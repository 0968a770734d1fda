// An aedes broker for the broker matrix (`cargo xtask interop`, `cargo xtask test`):
//
//   node aedes-broker.mjs MODULES_DIR TCP_PORT WS_PORT USER PASSWORD
//
// MODULES_DIR is where `npm install aedes ws` put node_modules (xtask installs them under
// target/interop/aedes). TCP and WebSocket (any path, `mqtt` subprotocol optional) listeners
// on 127.0.0.1; anonymous clients are allowed, a client that gives a user name must give USER
// and PASSWORD. Prints AEDES_READY once both listen.
import net from 'node:net'
import http from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const [modules, tcpPort, wsPort, user, password] = process.argv.slice(2)
if (!password) {
  console.error('usage: node aedes-broker.mjs MODULES_DIR TCP_PORT WS_PORT USER PASSWORD')
  process.exit(2)
}
const { Aedes } = await import(pathToFileURL(join(modules, 'node_modules/aedes/aedes.js')).href)
const require = createRequire(join(modules, 'package.json'))
const { WebSocketServer, createWebSocketStream } = require('ws')

const broker = await Aedes.createBroker({
  authenticate (client, username, pass, done) {
    if (username === undefined || username === null) return done(null, true)
    const ok = username === user && pass !== undefined && pass !== null &&
      pass.toString() === password
    if (ok) return done(null, true)
    const error = new Error('bad user name or password')
    error.returnCode = 4
    done(error, false)
  }
})

const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject)
  server.listen(Number(port), '127.0.0.1', resolve)
})

const tcp = net.createServer(broker.handle)
const web = http.createServer((req, res) => { res.writeHead(426); res.end('WebSocket only\n') })
// Echo `mqtt` when offered; accept a client that offers none.
const wss = new WebSocketServer({
  server: web,
  handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false)
})
wss.on('connection', (socket, req) => {
  broker.handle(createWebSocketStream(socket), req)
})
await listen(tcp, tcpPort)
await listen(web, wsPort)
console.log(`AEDES_READY tcp=127.0.0.1:${tcpPort} ws=ws://127.0.0.1:${wsPort}/mqtt`)

const stop = () => { tcp.close(); web.close(); broker.close(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
