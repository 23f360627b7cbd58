// Settings shared by the formats (the forwarder's `server_name`, `cb_server_url`, `use_time_float`, ...).

export type Profile = "forwarder" | "forwarder-3.8" | "eventexporter";
export const PROFILES: readonly Profile[] = ["forwarder", "forwarder-3.8", "eventexporter"];

export interface FormatOptions {
  /** Which generation's documents to reproduce (JSON-OUTPUT.md §0). */
  profile: Profile;
  /** Value of `cb_server`. */
  serverName: string;
  /** Base URL for deep links, normalised to end with "/"; no links when undefined. */
  serverUrl?: string | undefined;
  /** Times as float seconds instead of integers. */
  timeFloat: boolean;
  /** Top-level keys deleted from every document (`forwarder` profile only, like the forwarder's remove_from_output). */
  removeFromOutput?: readonly string[] | undefined;
}

/** Trims and appends the "/" the forwarder adds when missing. */
export function normalizeServerUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const trimmed = url.trim();
  if (trimmed === "") return undefined;
  return trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

export function formatOptions(partial: Partial<FormatOptions> = {}): FormatOptions {
  return {
    profile: partial.profile ?? "forwarder",
    serverName: partial.serverName ?? "cbserver",
    serverUrl: normalizeServerUrl(partial.serverUrl),
    timeFloat: partial.timeFloat ?? false,
    removeFromOutput: partial.removeFromOutput,
  };
}
