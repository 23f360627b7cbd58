// The cbexport sub-commands: picks one, maps errors to exit statuses (2 usage, 1 fatal). main.ts runs it.
import { UsageError } from "./options.js";
import {
  BUS_HELP,
  CHECK_HELP,
  CONVERT_HELP,
  EXPORT_HELP,
  FOLLOW_HELP,
  GENERATE_HELP,
  IMPORT_FORWARDER_HELP,
  MAIN_HELP,
  RUN_HELP,
} from "./usage.js";

type Command = (args: string[]) => Promise<number>;

// Loaded on demand: a one-off export should not pay for loading the service, the bus or broker clients.
const COMMANDS: Record<string, () => Promise<Command>> = {
  export: async () => (await import("./export.js")).exportCommand,
  convert: async () => (await import("./convert.js")).convertCommand,
  bus: async () => (await import("./bus.js")).busCommand,
  generate: async () => (await import("./generate.js")).generateCommand,
  follow: async () => (await import("./follow.js")).followCommand,
  run: async () => (await import("./run.js")).runCommand,
  check: async () => (await import("./check.js")).checkCommand,
  "import-forwarder-config": async () =>
    (await import("./import-forwarder-config.js")).importForwarderConfigCommand,
};

const HELP: Record<string, string> = {
  bus: BUS_HELP,
  export: EXPORT_HELP,
  convert: CONVERT_HELP,
  generate: GENERATE_HELP,
  follow: FOLLOW_HELP,
  run: RUN_HELP,
  check: CHECK_HELP,
  "import-forwarder-config": IMPORT_FORWARDER_HELP,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    const topic = command === "help" ? args[0] : undefined;
    process.stdout.write(topic !== undefined && HELP[topic] !== undefined ? HELP[topic] : MAIN_HELP);
    return 0;
  }
  const load = COMMANDS[command];
  if (load === undefined) {
    process.stderr.write(`cbexport: unknown command "${command}"\n\n${MAIN_HELP}`);
    return 2;
  }
  try {
    return await (await load())(args);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`cbexport ${command}: ${(err as Error).message}\nSee: cbexport help ${command}\n`);
      return 2;
    }
    process.stderr.write(`cbexport ${command}: ${(err as Error).message}\n`);
    return 1;
  }
}
