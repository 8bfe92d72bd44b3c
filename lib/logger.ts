import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** Fields pretty output leaves out of its `key=value` tail. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname']);

/** The one logger type passed down from each entry point. */
export type Logger = PinoLogger;

/** How to build the entry point's logger. */
export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go (default stderr). Tests pass a stream and read the lines back. */
  destination?: DestinationStream;
  /** Pretty, coloured lines instead of JSON; default: when stderr is a TTY. */
  pretty?: boolean;
  /** Write synchronously (the agent reboots right after its last line). */
  sync?: boolean;
}

/**
 * Make the entry point's logger: JSON lines when not on a TTY, pretty on one (colour only
 * when NO_COLOR is unset); TBX_LOG_FORMAT=json|pretty overrides. Library code never creates
 * loggers; it receives a child.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.TBX_LOG_LEVEL ?? 'info';
  const base = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime } as const;
  if (options.destination) return pino(base, options.destination);
  const format = process.env.TBX_LOG_FORMAT;
  const usePretty = options.pretty ?? (format === 'pretty' ? true : format === 'json' ? false : process.stderr.isTTY === true);
  if (usePretty) {
    return pino(
      base,
      pretty({
        destination: 2,
        sync: true,
        colorize: !process.env.NO_COLOR && process.stderr.isTTY === true,
        translateTime: 'SYS:HH:MM:ss',
        hideObject: true,
        messageFormat: (log, key) => [String(log[key] ?? ''), ...Object.entries(log).filter(([k]) => !HIDDEN.has(k) && k !== key).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)].join(' '),
      }),
    );
  }
  return pino(base, pino.destination({ dest: 2, sync: options.sync ?? true }));
}

/** A logger that discards everything (for pure helpers called outside a command). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
