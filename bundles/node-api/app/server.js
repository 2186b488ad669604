// A small HTTP API (Hono on @hono/node-server) for zrun's swap benchmark.
// Listens on the socket-activation fd 3 when LISTEN_FDS is set (zrun's shared
// listener), else on PORT (default 3000); under pm2's cluster mode the master
// owns the port and this is one worker.
//
//   GET /         {"version": VERSION}
//   GET /healthz  200 "ok"
//
// SIGTERM / SIGINT drain without losing a request (see the comment at drain()).
'use strict';

const { Hono } = require('hono');
const { createAdaptorServer } = require('@hono/node-server');

const version = process.env.VERSION || 'dev';
// How long an idle keep-alive connection may stay open once draining, so that
// a client that was about to reuse it sends its request and gets an answer
// with `Connection: close` instead of a reset.
const IDLE_CLOSE_DELAY_MS = 200;
// The most a drain may take before the process exits anyway.
const DRAIN_DEADLINE_MS = Number(process.env.DRAIN_DEADLINE_MS || 10000);

let draining = false;
const app = new Hono();

app.use('*', async (c, next) => {
	await next();
	if (draining) c.header('Connection', 'close');
});
app.get('/', (c) => c.json({ version }));
app.get('/healthz', (c) => c.text('ok'));

const server = createAdaptorServer({ fetch: app.fetch });
// A draining server still answers requests that arrive on open connections;
// node sets `Connection: close` itself too once the response says so.
server.keepAliveTimeout = 5000;

const sockets = new Set();
server.on('connection', (socket) => {
	sockets.add(socket);
	socket.on('close', () => sockets.delete(socket));
});

const listenFds = Number(process.env.LISTEN_FDS || 0);
const listenPid = Number(process.env.LISTEN_PID || 0);
if (listenFds > 0 && (listenPid === 0 || listenPid === process.pid)) {
	server.listen({ fd: 3 }, () => console.log(`node-api ${version}: listening on fd 3`));
} else {
	const port = Number(process.env.PORT || 3000);
	server.listen(port, process.env.HOST || '0.0.0.0',
		() => console.log(`node-api ${version}: listening on port ${port}`));
}

// Draining without loss. Since Node 19, http.Server.close() also closes idle
// keep-alive connections at once, racing with a client's next request on them
// (a reset for that request). So: stop accepting (net.Server's close only),
// answer every later request with `Connection: close`, let in-flight requests
// finish, close the connections still idle after IDLE_CLOSE_DELAY_MS, and exit
// when none is left.
function drain(signal) {
	if (draining) return;
	draining = true;
	console.log(`node-api ${version}: ${signal}, draining ${sockets.size} connections`);
	require('net').Server.prototype.close.call(server);
	const deadline = Date.now() + DRAIN_DEADLINE_MS;
	setTimeout(function check() {
		server.closeIdleConnections();
		if (sockets.size === 0 || Date.now() >= deadline) {
			console.log(`node-api ${version}: drained, ${sockets.size} connections left`);
			process.exit(0);
		}
		setTimeout(check, 20);
	}, IDLE_CLOSE_DELAY_MS);
}
process.on('SIGTERM', () => drain('SIGTERM'));
process.on('SIGINT', () => drain('SIGINT'));
// pm2 asks a cluster worker to stop with a 'shutdown' message on Windows only,
// and with SIGINT elsewhere; both end up in drain().
process.on('message', (msg) => { if (msg === 'shutdown') drain('shutdown'); });
