// Runs inside a fresh network namespace (test/helpers/fixed-port-namespace.ts): brings up its
// loopback, listens on 127.0.0.1:<port> and copies every connection to a Unix socket the test
// serves outside, then runs the given program in that namespace and exits with its code.
// Usage: node port-bridge.mjs <unix-socket> <port> -- <command> [args...]
import { spawn, execFileSync } from 'node:child_process';
import { createServer, connect } from 'node:net';

const [socketPath, portText, sep, command, ...args] = process.argv.slice(2);
if (!socketPath || !portText || sep !== '--' || !command) {
  console.error('usage: port-bridge.mjs <unix-socket> <port> -- <command> [args...]');
  process.exit(2);
}
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).on('error', () => client.destroy());
  upstream.pipe(client).on('error', () => upstream.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(Number(portText), '127.0.0.1', () => {
  const child = spawn(command, args, { stdio: 'inherit' });
  const stop = () => child.kill('SIGKILL');
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);
  process.on('exit', stop);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
});
