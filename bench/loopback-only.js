'use strict';
/**
 * Preloaded into Portkey's gateway (`node -r bench/loopback-only.js …`): its start-server calls
 * `serve({ fetch, port })` with no host, which listens on every interface, and it has no flag to
 * change that. The benchmark keeps all its servers on loopback, so a listen() without a host is
 * given 127.0.0.1. Nothing else in Portkey is touched.
 */
const net = require('node:net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    // listen(port, undefined, cb) — the shape @hono/node-server uses — or listen(port, cb).
    if (args.length > 1 && args[1] === undefined) args[1] = '127.0.0.1';
    else args.splice(1, 0, '127.0.0.1');
  } else if (args[0] !== null && typeof args[0] === 'object' && args[0].port !== undefined && args[0].host === undefined) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
