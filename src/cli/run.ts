// `cbexport run --config FILE.yaml`: the service (docs/service.md). SIGTERM/SIGINT drain and exit 0, SIGHUP
// reloads the configuration; logs are JSON lines on stderr.
import { parseArgs } from "node:util";
import { ConfigError } from "../service/config/load.js";
import { createLogger, type LogLevel } from "../service/logger.js";
import { errorText, Service } from "../service/service.js";
import { UsageError } from "./options.js";
import { RUN_HELP } from "./usage.js";

const LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace"];

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`run takes no arguments (got "${positionals[0]}"); use --config FILE`);
  if (values.config === undefined) throw new UsageError("run needs --config FILE.yaml");
  const level = values["log-level"];
  if (level !== undefined && !LEVELS.includes(level as LogLevel))
    throw new UsageError(`--log-level must be one of ${LEVELS.join(", ")}`);
  const bootstrap = createLogger((level as LogLevel | undefined) ?? "info");
  const service = new Service({ file: values.config, logger: bootstrap });
  let settings: ReturnType<Service["load"]>;
  try {
    settings = service.load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cbexport run: the configuration is refused:\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // The configured level applies from here on (a --log-level given on the command line wins).
  if (level === undefined && settings.config.log?.level !== undefined)
    bootstrap.level = settings.config.log.level;
  let signalled = 0;
  const onStop = (signal: NodeJS.Signals) => {
    if (++signalled > 1) {
      // Safe: what is not checkpointed or acknowledged is read again by the next start.
      bootstrap.warn(`${signal} again: exiting at once; the next start resumes from the last checkpoint`);
      process.exit(130);
    }
    service.stop(signal);
  };
  const onReload = () => service.reload();
  process.on("SIGTERM", onStop);
  process.on("SIGINT", onStop);
  process.on("SIGHUP", onReload);
  try {
    return await service.run(settings);
  } catch (err) {
    bootstrap.fatal({ err: errorText(err) }, "cannot run");
    return 1;
  } finally {
    process.off("SIGTERM", onStop);
    process.off("SIGINT", onStop);
    process.off("SIGHUP", onReload);
  }
}
