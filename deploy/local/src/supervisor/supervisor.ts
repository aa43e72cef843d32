/**
 * The supervisor of one service of the native stack: `node supervisor.js <spec.json>`, started detached
 * by `stack up`. It runs the service as its child (same process group, output to the service's log),
 * restarts it whenever it exits with a backoff that doubles up to a ceiling and resets after a stable
 * run (but not after an exit refusing its settings, which would only repeat), and records restarts and the last exit in a state file for `stack status`. SIGTERM (what
 * `stack down` sends it) is passed to the service, and its exit then is a stop, not a crash. The log is kept
 * under a size (`log-rotation.ts`).
 *
 * Only Node's own modules: it is compiled alone and must outlive any change to the repository.
 * Why a hand-made supervisor: docs/adr/0007-native-stack-supervisor.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { LOG_CHECK_EVERY_MS, rotateLogIfOver } from './log-rotation';
import { EXIT_REFUSED_SETTINGS, describeExit, exitsInARow, restartDelayMs } from './restart-policy';
import { type SupervisorSpec, type SupervisorState, writeState } from './supervisor-state';

/** pino's numeric levels, which the services' log lines carry. */
const LEVELS = { info: 30, warn: 40, error: 50 } as const;

function main(specFile: string): void {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as SupervisorSpec;
  const logFd = openSync(spec.logFile, 'a');
  // A line of the service's own log format (pino's numeric levels), so one filter reads both.
  const say = (level: keyof typeof LEVELS, msg: string) =>
    writeSync(
      logFd,
      `${JSON.stringify({ level: LEVELS[level], time: new Date().toISOString(), service: 'supervisor', msg })}\n`,
    );

  const state: SupervisorState = {
    service: spec.service,
    supervisorPid: process.pid,
    childPid: null,
    state: 'running',
    startedAt: null,
    restarts: 0,
    restartTimes: [],
    lastExit: null,
    nextStartAt: null,
  };
  const save = () => writeState(spec.stateFile, state);
  let child: ChildProcess | null = null;
  let timer: NodeJS.Timeout | null = null;
  let inARow = 0;
  let stopping = false;

  const finish = (final: 'stopped' | 'refused-settings' = 'stopped') => {
    state.state = final;
    state.childPid = null;
    state.nextStartAt = null;
    save();
    rmSync(spec.childPidFile, { force: true });
    closeSync(logFd);
    process.exit(0);
  };

  const startChild = () => {
    timer = null;
    const started = Date.now();
    const c = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: process.env,
      stdio: ['ignore', logFd, logFd],
    });
    child = c;
    c.once('error', (err) => say('error', `could not start ${spec.service}: ${err.message}`));
    if (c.pid !== undefined) writeFileSync(spec.childPidFile, `${c.pid}\n`);
    Object.assign(state, {
      state: 'running',
      childPid: c.pid ?? null,
      startedAt: started,
      nextStartAt: null,
    });
    save();
    c.once('close', (code, signal) => {
      child = null;
      const at = Date.now();
      state.lastExit = { code, signal, at, uptimeMs: at - started };
      state.childPid = null;
      if (stopping) {
        say('info', `${spec.service} stopped (${describeExit(state.lastExit)})`);
        finish();
        return;
      }
      if (code === EXIT_REFUSED_SETTINGS) {
        say(
          'error',
          `${spec.service} refused its settings (${describeExit(state.lastExit)}; the lines above name them): ` +
            `not restarted, as the same settings would be refused again; set them right and run \`npm run stack -- up ${spec.service}\``,
        );
        finish('refused-settings');
        return;
      }
      inARow = exitsInARow(inARow, at - started, spec.policy);
      const delay = restartDelayMs(inARow, spec.policy);
      state.restarts++;
      state.restartTimes = [...state.restartTimes, at].slice(-20);
      Object.assign(state, { state: 'backoff', nextStartAt: at + delay });
      save();
      say(
        'warn',
        `${spec.service} (pid ${c.pid}) exited with ${describeExit(state.lastExit)} after ${Math.round((at - started) / 1000)} s; ` +
          `restart ${state.restarts} in ${delay / 1000} s (${inARow} exit${inARow === 1 ? '' : 's'} in a row)`,
      );
      timer = setTimeout(startChild, delay);
    });
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    state.state = 'stopping';
    save();
    if (timer) clearTimeout(timer);
    if (child) child.kill(signal);
    else finish();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The log's size is bounded (`SERVICE_LOG_MAX_MB`): the newest lines are kept, in it and in `<log>.1`.
  setInterval(() => {
    try {
      const moved = rotateLogIfOver(spec.logFile, logFd, spec.logMaxBytes);
      if (moved)
        say('info', `the log passed ${spec.logMaxBytes} bytes: its ${moved} bytes are in ${spec.logFile}.1`);
    } catch (err) {
      say('warn', `could not move the log aside at ${spec.logMaxBytes} bytes: ${(err as Error).message}`);
    }
  }, LOG_CHECK_EVERY_MS).unref();
  startChild();
}

main(process.argv[2] ?? '');
