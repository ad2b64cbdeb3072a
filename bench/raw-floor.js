'use strict';
/**
 * The floor: the least a Node proxy can do — node:http in, undici out, body bytes piped back
 * untouched, no parsing, no auth, no accounting. Whatever a gateway adds above this is its own cost.
 *
 * Usage: node bench/raw-floor.js <upstream origin> [port]   Prints `{"port":N}` once listening.
 */
const http = require('node:http');
const { Pool } = require('undici');

const upstream = new Pool(process.argv[2], { connections: 256, keepAliveTimeout: 60_000 });

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  upstream
    .request({
      method: req.method,
      path: req.url,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
      body: req,
    })
    .then(({ statusCode, headers, body }) => {
      res.writeHead(statusCode, { 'content-type': headers['content-type'] ?? 'application/json' });
      body.pipe(res);
    })
    .catch((error) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: error.message, type: 'upstream_error' } }));
    });
});
server.headersTimeout = 120_000;
server.requestTimeout = 0;
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
