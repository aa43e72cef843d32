import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exitOnClosedPipe, exitWhenFlushed } from './exit';

const ROOT = join(__dirname, '..', '..', '..');

describe('exitWhenFlushed', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('waits until a slow stream has taken every byte before exiting', async () => {
    let taken = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        setTimeout(() => {
          taken += chunk.length;
          done();
        }, 5);
      },
    });
    for (let i = 0; i < 20; i++) slow.write(Buffer.alloc(4096, 'x'));
    const exits: Array<{ code: number; taken: number }> = [];
    await exitWhenFlushed(3, [slow], (code) => exits.push({ code, taken }));
    expect(exits).toEqual([{ code: 3, taken: 20 * 4096 }]);
  });

  it('delivers more than 64 KiB to a pipe that is read late, and still ends the process', async () => {
    // A child that writes 300 KB to stdout, keeps a timer alive (as kafkajs does), then exits.
    const script = `
      setInterval(() => undefined, 60000);
      process.stdout.write('x'.repeat(300000));
      require(${JSON.stringify(join(__dirname, 'exit.ts'))}).exitWhenFlushed(0);
    `;
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'node_modules/@swc-node/register/index.js'), '-e', script],
      {
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let bytes = 0;
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 500);
    child.stdout.on('data', (d: Buffer) => (bytes += d.length));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, bytes }).toEqual({ code: 0, bytes: 300000 });
  }, 20_000);

  it('exits with the code so far on EPIPE, and leaves other stream errors alone', () => {
    const stream = new Writable({ write: (_c, _e, done) => done() });
    const exits: number[] = [];
    exitOnClosedPipe([stream], (code) => exits.push(code));
    process.exitCode = 2;
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([2]);
    expect(() => stream.emit('error', Object.assign(new Error('boom'), { code: 'EIO' }))).toThrow('boom');
  });

  it('ends quietly when the reader of stdout goes away, as `| head` does', async () => {
    const script = `
      setInterval(() => undefined, 60000);
      const exit = require(${JSON.stringify(join(__dirname, 'exit.ts'))});
      exit.exitOnClosedPipe();
      let i = 0;
      const more = () => { process.stdout.write('line ' + i++ + '\\n'); if (i < 200000) setImmediate(more); else exit.exitWhenFlushed(0); };
      more();
    `;
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'node_modules/@swc-node/register/index.js'), '-e', script],
      {
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }, 20_000);
});
