// Enum value names of the forwarder profile (JSON-OUTPUT.md §3), shared by the document mapper and the fast writer.

export const FILEMOD_ACTIONS: Record<number, string> = {
  1: "create",
  2: "write",
  4: "delete",
  8: "lastwrite",
};
export const REGMOD_ACTIONS: Record<number, string> = {
  1: "createkey",
  2: "writeval",
  4: "delkey",
  8: "delval",
};
export const FILE_TYPES: Record<number, string> = {
  0: "Unknown",
  1: "Pe",
  2: "Elf",
  3: "UniversalBin",
  8: "Eicar",
  16: "OfficeLegacy",
  17: "OfficeOpenXml",
  48: "Pdf",
  64: "ArchivePkzip",
  65: "ArchiveLzh",
  66: "ArchiveLzw",
  67: "ArchiveRar",
  68: "ArchiveTar",
  69: "Archive7zip",
  96: "MsLnk",
  112: "FlashFlv",
  113: "FlashSwf",
};
export const CHILDPROC_TYPES: Record<number, string> = { 0: "Exec", 1: "Fork", 2: "OtherExec" };
export const OPEN_TYPES: Record<number, string> = { 1: "open_process", 2: "open_thread" };
export const MITIGATIONS: Record<number, string> = {
  1: "Dep",
  2: "Sehop",
  3: "Asr",
  4: "Aslr",
  5: "NullPage",
  6: "HeapSpray",
  7: "MandatoryAslr",
  8: "Eaf",
  9: "EafPlus",
  10: "BottomUpAslr",
  11: "LoadLibrary",
  12: "MemoryProtection",
  13: "SimulateExecFlow",
  14: "StackPivot",
  15: "CallerChecks",
  16: "BannedFunctions",
  17: "DeepHooks",
  18: "AntiDetours",
};
export const TAMPER_TYPES: Record<number, string> = {
  1: "CoreDriverUnloaded",
  2: "NetworkDriverUnloaded",
  3: "CbServiceStopped",
  4: "CbProcessTerminated",
  5: "CbCodeInjection",
};
export const BLOCK_EVENTS: Record<number, string> = { 1: "ProcessCreate", 2: "RunningProcess" };
export const BLOCK_RESULTS: Record<number, string> = {
  0: "ProcessTerminated",
  1: "NotTerminatedCBProcess",
  2: "NotTerminatedSystemProcess",
  3: "NotTerminatedCriticalSystemProcess",
  4: "NotTerminatedWhitelistPath",
  5: "NotTerminatedOpenProcessError",
  6: "NotTerminatedTerminateError",
};
