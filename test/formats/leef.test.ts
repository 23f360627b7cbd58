import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type Doc, FloatValue, RawNumber, type Value } from "../../src/formats/document.js";
import { forwarderDocument } from "../../src/formats/forwarder.js";
import { goFloatV, LeefError, leefLine } from "../../src/formats/leef.js";
import { normalizeNotification } from "../../src/formats/notification.js";
import { formatOptions, type Profile } from "../../src/formats/options.js";
import { rawEvent, rawPath } from "../helpers/corpus.js";
import { expectedLines } from "../helpers/fixtures.js";

// ---- test-only converters: forwarder JSON text → Doc ----

const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const MARK = "\u0000num:";

/** JSON text → Doc, each number handed to `number` as its exact text. */
function parseDoc(text: string, number: (text: string) => Value): Doc {
  const marked = text.replace(TOKEN, (m) => (m[0] === '"' ? m : `"\\u0000num:${m}"`));
  return JSON.parse(marked, (_key, v: unknown) =>
    typeof v === "string" && v.startsWith(MARK) ? number(v.slice(MARK.length)) : v,
  ) as Doc;
}

/** A raw-event document as the mapper builds it: int64 as bigint when unsafe, byte fields as Buffers. */
function rawDoc(json: string): Doc {
  const doc = parseDoc(json, (t) => {
    if (/[.eE]/.test(t)) return new FloatValue(Number(t));
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : BigInt(t);
  });
  for (const key of ["icon", "image_file_header"]) {
    const v = doc[key];
    if (typeof v === "string") doc[key] = Buffer.from(v, "base64");
  }
  return doc;
}

/** A normalised bus notification: numbers kept verbatim. */
function busDoc(json: string): Doc {
  return parseDoc(json, (t) => new RawNumber(t));
}

/** The `forwarder-3.8` document of a worked example: §8 lists the keys it lacks; module keys are renamed. */
function doc38(doc: Doc, drop: readonly string[]): Doc {
  const out: Doc = {};
  for (const [key, value] of Object.entries(doc)) {
    if (drop.includes(key)) continue;
    let name = key.startsWith("utf8_") ? `utf_8_${key.slice(5)}` : key;
    if (name === "utf_8_file_description") name = "utf_8_file_dscription";
    out[name] = value;
  }
  return out;
}

// Worked examples: forwarder JSON lines (JSON-OUTPUT.md §8, §5 example B) and LEEF lines (LEEF.md §6).
const RAW_EXAMPLES: Record<string, { json: string; drop38: string[]; leef37: string; leef38: string }> = {
  "EX-N2": {
    drop38: ["sha256"],
    json: '{"cb_server":"cbserver","computer_name":"WIN-OTEMNUTBS23","direction":"inbound","domain":"","event_type":"netconn","ipv4":"70.106.217.240","link_process":"https://cbserver.example.com/#analyze/00000007-0000-06d4-01d1-209837ac7bfd/0","link_sensor":"https://cbserver.example.com/#/host/7","local_ip":"172.31.30.0","local_port":3389,"md5":"E3A2AD05E24105B35E986CF9CB38EC47","pid":1748,"port":49161,"process_guid":"00000007-0000-06d4-01d1-209837ac7bfd","process_path":"c:\\\\windows\\\\system32\\\\svchost.exe","protocol":6,"remote_ip":"70.106.217.240","remote_port":49161,"sensor_id":7,"sha256":"","timestamp":1447703383,"type":"ingress.event.netconn"}',
    leef37:
      "LEEF:1.0|CB|CB|5.1|ingress.event.netconn|cb_server=cbserver\tcomputer_name=WIN-OTEMNUTBS23\tdirection=inbound\tdomain=\tdst=172.31.30.0\tdstPort=3389\tevent_type=netconn\tipv4=70.106.217.240\tlink_process=https://cbserver.example.com/#analyze/00000007-0000-06d4-01d1-209837ac7bfd/0\tlink_sensor=https://cbserver.example.com/#/host/7\tlocal_ip=172.31.30.0\tlocal_port=3389\tmd5=E3A2AD05E24105B35E986CF9CB38EC47\tpid=1748\tport=49161\tprocess_guid=00000007-0000-06d4-01d1-209837ac7bfd\tprocess_path=c:\\\\windows\\\\system32\\\\svchost.exe\tproto=6\tprotocol=6\tremote_ip=70.106.217.240\tremote_port=49161\tsensor_id=7\tsha256=\tsrc=70.106.217.240\tsrcPort=49161\ttimestamp=1447703383\ttype=ingress.event.netconn",
    leef38:
      "LEEF:1.0|CB|CB|5.1|ingress.event.netconn|cb_server=cbserver\tcomputer_name=WIN-OTEMNUTBS23\tdirection=inbound\tdomain=\tdst=172.31.30.0\tdstPort=3389\tevent_type=netconn\tipv4=70.106.217.240\tlink_process=https://cbserver.example.com/#analyze/00000007-0000-06d4-01d1-209837ac7bfd/0\tlink_sensor=https://cbserver.example.com/#/host/7\tlocal_ip=172.31.30.0\tlocal_port=3389\tmd5=E3A2AD05E24105B35E986CF9CB38EC47\tpid=1748\tport=49161\tprocess_guid=00000007-0000-06d4-01d1-209837ac7bfd\tprocess_path=c:\\\\windows\\\\system32\\\\svchost.exe\tproto=6\tprotocol=6\tremote_ip=70.106.217.240\tremote_port=49161\tsensor_id=7\tsrc=70.106.217.240\tsrcPort=49161\ttimestamp=1.447703383e+09\ttype=ingress.event.netconn",
  },
  "EX-P1": {
    drop38: ["parent_process_guid"],
    json: '{"cb_server":"cbserver","command_line":"\\"C:\\\\Windows\\\\system32\\\\SearchProtocolHost.exe\\" Global\\\\UsGthrFltPipeMssGthrPipe253_ Global\\\\UsGthrCtrlFltPipeMssGthrPipe253 1 -2147483646 \\"Software\\\\Microsoft\\\\Windows Search\\" \\"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\\" \\"C:\\\\ProgramData\\\\Microsoft\\\\Search\\\\Data\\\\Temp\\\\usgthrsvc\\" \\"DownLevelDaemon\\" ","computer_name":"JASON-WIN81-VM","event_type":"proc","expect_followon_w_md5":false,"filtering_known_dlls":false,"link_parent":"https://cbserver.example.com/#analyze/00000001-0000-0af4-01d1-1e444bf4c3dd/1","link_process":"https://cbserver.example.com/#analyze/00000001-0000-07b4-01d1-209a100bc217/0","link_sensor":"https://cbserver.example.com/#/host/1","md5":"D6021013D7C4E248AEB8BED12D3DCC88","parent_create_time":1447440685,"parent_guid":-8915740139778150230,"parent_md5":"79227C1E2225DE455F365B607A6D46FB","parent_path":"c:\\\\windows\\\\system32\\\\searchindexer.exe","parent_pid":2804,"parent_process_guid":"00000001-0000-0af4-01d1-1e444bf4c3dd","path":"c:\\\\windows\\\\system32\\\\searchprotocolhost.exe","pid":1972,"process_guid":"00000001-0000-07b4-01d1-209a100bc217","process_path":"c:\\\\windows\\\\system32\\\\searchprotocolhost.exe","sensor_id":1,"sha256":"","timestamp":1447697423,"type":"ingress.event.procstart","uid":"S-1-5-18","username":"SYSTEM"}',
    leef37:
      'LEEF:1.0|CB|CB|5.1|ingress.event.process|cb_server=cbserver\tcommand_line="C:\\\\Windows\\\\system32\\\\SearchProtocolHost.exe" Global\\\\UsGthrFltPipeMssGthrPipe253_ Global\\\\UsGthrCtrlFltPipeMssGthrPipe253 1 -2147483646 "Software\\\\Microsoft\\\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\\\ProgramData\\\\Microsoft\\\\Search\\\\Data\\\\Temp\\\\usgthrsvc" "DownLevelDaemon" \tcomputer_name=JASON-WIN81-VM\tevent_type=proc\texpect_followon_w_md5=false\tfiltering_known_dlls=false\tlink_parent=https://cbserver.example.com/#analyze/00000001-0000-0af4-01d1-1e444bf4c3dd/1\tlink_process=https://cbserver.example.com/#analyze/00000001-0000-07b4-01d1-209a100bc217/0\tlink_sensor=https://cbserver.example.com/#/host/1\tmd5=D6021013D7C4E248AEB8BED12D3DCC88\tparent_create_time=1447440685\tparent_guid=-8915740139778150230\tparent_md5=79227C1E2225DE455F365B607A6D46FB\tparent_path=c:\\\\windows\\\\system32\\\\searchindexer.exe\tparent_pid=2804\tparent_process_guid=00000001-0000-0af4-01d1-1e444bf4c3dd\tpath=c:\\\\windows\\\\system32\\\\searchprotocolhost.exe\tpid=1972\tprocess_guid=00000001-0000-07b4-01d1-209a100bc217\tprocess_path=c:\\\\windows\\\\system32\\\\searchprotocolhost.exe\tsensor_id=1\tsha256=\ttimestamp=1447697423\ttype=ingress.event.procstart\tuid=S-1-5-18\tusername=SYSTEM',
    leef38:
      'LEEF:1.0|CB|CB|5.1|ingress.event.process|cb_server=cbserver\tcommand_line="C:\\\\Windows\\\\system32\\\\SearchProtocolHost.exe" Global\\\\UsGthrFltPipeMssGthrPipe253_ Global\\\\UsGthrCtrlFltPipeMssGthrPipe253 1 -2147483646 "Software\\\\Microsoft\\\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\\\ProgramData\\\\Microsoft\\\\Search\\\\Data\\\\Temp\\\\usgthrsvc" "DownLevelDaemon" \tcomputer_name=JASON-WIN81-VM\tevent_type=proc\texpect_followon_w_md5=false\tfiltering_known_dlls=false\tlink_parent=https://cbserver.example.com/#analyze/00000001-0000-0af4-01d1-1e444bf4c3dd/1\tlink_process=https://cbserver.example.com/#analyze/00000001-0000-07b4-01d1-209a100bc217/0\tlink_sensor=https://cbserver.example.com/#/host/1\tmd5=D6021013D7C4E248AEB8BED12D3DCC88\tparent_create_time=1.447440685e+09\tparent_guid=-8.91574013977815e+18\tparent_md5=79227C1E2225DE455F365B607A6D46FB\tparent_path=c:\\\\windows\\\\system32\\\\searchindexer.exe\tparent_pid=2804\tpath=c:\\\\windows\\\\system32\\\\searchprotocolhost.exe\tpid=1972\tprocess_guid=00000001-0000-07b4-01d1-209a100bc217\tprocess_path=c:\\\\windows\\\\system32\\\\searchprotocolhost.exe\tsensor_id=1\tsha256=\ttimestamp=1.447697423e+09\ttype=ingress.event.procstart\tuid=S-1-5-18\tusername=SYSTEM',
  },
  "EX-E1": {
    drop38: ["md5", "sha256"],
    json: '{"blocked":true,"cb_server":"cbserver","computer_name":"JASON-WIN81-VM","emet_timestamp":130949318600000000,"event_type":"emet_mitigation","link_process":"https://cbserver.example.com/#analyze/00000001-0000-0d10-01d1-39b621f894f9/0","link_sensor":"https://cbserver.example.com/#/host/1","log_id":1032,"log_message":"EMET detected EAF mitigation and will close the application: EMET_Test64.exe\\r\\n\\r\\nEAF check failed:\\n  Application \\t: C:\\\\Users\\\\dan\\\\Desktop\\\\EMET_TEST\\\\EMET_Test64.exe\\n  User Name \\t: DANWIN764\\\\dan\\n  Session ID \\t: 1\\n  PID \\t\\t: 0xD10 (3344)\\n  TID \\t\\t: 0xDB4 (3508)\\n  Module \\t: N/A\\n  Mod Base \\t: 0x0000000000000000\\n  Mod Address \\t: 0x000000000297000D\\n  Mem Address \\t: 0x0000000000000000\\n\\r\\n","md5":"","mitigation":"Eaf","pid":3344,"process_guid":"00000001-0000-0d10-01d1-39b621f894f9","sensor_id":1,"sha256":"","timestamp":1450458260,"type":"ingress.event.emetmitigation"}',
    leef37:
      "LEEF:1.0|CB|CB|5.1|ingress.event.emetmitigation|blocked=true\tcb_server=cbserver\tcomputer_name=JASON-WIN81-VM\temet_timestamp=130949318600000000\tevent_type=emet_mitigation\tlink_process=https://cbserver.example.com/#analyze/00000001-0000-0d10-01d1-39b621f894f9/0\tlink_sensor=https://cbserver.example.com/#/host/1\tlog_id=1032\tlog_message=EMET detected EAF mitigation and will close the application: EMET_Test64.exe\\r\\n\\r\\nEAF check failed:\\n  Application \\t: C:\\\\Users\\\\dan\\\\Desktop\\\\EMET_TEST\\\\EMET_Test64.exe\\n  User Name \\t: DANWIN764\\\\dan\\n  Session ID \\t: 1\\n  PID \\t\\t: 0xD10 (3344)\\n  TID \\t\\t: 0xDB4 (3508)\\n  Module \\t: N/A\\n  Mod Base \\t: 0x0000000000000000\\n  Mod Address \\t: 0x000000000297000D\\n  Mem Address \\t: 0x0000000000000000\\n\\r\\n\tmd5=\tmitigation=Eaf\tpid=3344\tprocess_guid=00000001-0000-0d10-01d1-39b621f894f9\tsensor_id=1\tsha256=\ttimestamp=1450458260\ttype=ingress.event.emetmitigation",
    leef38:
      "LEEF:1.0|CB|CB|5.1|ingress.event.emetmitigation|blocked=true\tcb_server=cbserver\tcomputer_name=JASON-WIN81-VM\temet_timestamp=1.309493186e+17\tevent_type=emet_mitigation\tlink_process=https://cbserver.example.com/#analyze/00000001-0000-0d10-01d1-39b621f894f9/0\tlink_sensor=https://cbserver.example.com/#/host/1\tlog_id=1032\tlog_message=EMET detected EAF mitigation and will close the application: EMET_Test64.exe\\r\\n\\r\\nEAF check failed:\\n  Application \\t: C:\\\\Users\\\\dan\\\\Desktop\\\\EMET_TEST\\\\EMET_Test64.exe\\n  User Name \\t: DANWIN764\\\\dan\\n  Session ID \\t: 1\\n  PID \\t\\t: 0xD10 (3344)\\n  TID \\t\\t: 0xDB4 (3508)\\n  Module \\t: N/A\\n  Mod Base \\t: 0x0000000000000000\\n  Mod Address \\t: 0x000000000297000D\\n  Mem Address \\t: 0x0000000000000000\\n\\r\\n\tmitigation=Eaf\tpid=3344\tprocess_guid=00000001-0000-0d10-01d1-39b621f894f9\tsensor_id=1\ttimestamp=1.45045826e+09\ttype=ingress.event.emetmitigation",
  },
  "EX-I1": {
    drop38: [],
    json: '{"cb_server":"cbserver","computer_name":"WIN-OTEMNUTBS23","digsig":{"issuer_name":"Microsoft Windows Production PCA 2011","program_name":"Microsoft Windows","publisher":"Microsoft Corporation","result":"Signed","result_code":"0x00000000","sign_time":"2:46 PM 9/29/2015","subject_name":"Microsoft Windows"},"event_type":"binary_info","icon":null,"image_file_header":"ZIYVAJSDCVYAAAAAAAAAAPAAIgA=","md5":"EDB8DE74E38F1B6E4A9B8B8000334DF7","sensor_id":7,"sha256":"","size":7457624,"timestamp":1447697623,"type":"ingress.event.module","utf8_comments":"","utf8_company_name":"Microsoft Corporation","utf8_copied_module_length":7457624,"utf8_file_description":"NT Kernel \\u0026 System","utf8_file_version":"6.3.9600.18066 (winblue_ltsb.150928-1002)","utf8_internal_name":"ntkrnlmp.exe","utf8_legal_copyright":"© Microsoft Corporation. All rights reserved.","utf8_legal_trademark":"","utf8_on_disk_filename":"c:\\\\windows\\\\system32\\\\ntoskrnl.exe","utf8_original_file_name":"ntkrnlmp.exe","utf8_private_build":"","utf8_product_description":"","utf8_product_name":"Microsoft® Windows® Operating System","utf8_product_version":"6.3.9600.18066","utf8_special_build":""}',
    leef37:
      'LEEF:1.0|CB|CB|5.1|ingress.event.module|cb_server=cbserver\tcomputer_name=WIN-OTEMNUTBS23\tdigsig={"issuer_name":"Microsoft Windows Production PCA 2011","program_name":"Microsoft Windows","publisher":"Microsoft Corporation","result":"Signed","result_code":"0x00000000","sign_time":"2:46 PM 9/29/2015","subject_name":"Microsoft Windows"}\tevent_type=binary_info\ticon=[]\timage_file_header=[100 134 21 0 148 131 9 86 0 0 0 0 0 0 0 0 240 0 34 0]\tmd5=EDB8DE74E38F1B6E4A9B8B8000334DF7\tsensor_id=7\tsha256=\tsize=7457624\ttimestamp=1447697623\ttype=ingress.event.module\tutf8_comments=\tutf8_company_name=Microsoft Corporation\tutf8_copied_module_length=7457624\tutf8_file_description=NT Kernel & System\tutf8_file_version=6.3.9600.18066 (winblue_ltsb.150928-1002)\tutf8_internal_name=ntkrnlmp.exe\tutf8_legal_copyright=© Microsoft Corporation. All rights reserved.\tutf8_legal_trademark=\tutf8_on_disk_filename=c:\\\\windows\\\\system32\\\\ntoskrnl.exe\tutf8_original_file_name=ntkrnlmp.exe\tutf8_private_build=\tutf8_product_description=\tutf8_product_name=Microsoft® Windows® Operating System\tutf8_product_version=6.3.9600.18066\tutf8_special_build=',
    leef38:
      'LEEF:1.0|CB|CB|5.1|ingress.event.module|cb_server=cbserver\tcomputer_name=WIN-OTEMNUTBS23\tdigsig={"issuer_name":"Microsoft Windows Production PCA 2011","program_name":"Microsoft Windows","publisher":"Microsoft Corporation","result":"Signed","result_code":"0x00000000","sign_time":"2:46 PM 9/29/2015","subject_name":"Microsoft Windows"}\tevent_type=binary_info\timage_file_header=ZIYVAJSDCVYAAAAAAAAAAPAAIgA\\=\tmd5=EDB8DE74E38F1B6E4A9B8B8000334DF7\tsensor_id=7\tsha256=\tsize=7.457624e+06\ttimestamp=1.447697623e+09\ttype=ingress.event.module\tutf_8_comments=\tutf_8_company_name=Microsoft Corporation\tutf_8_copied_module_length=7.457624e+06\tutf_8_file_dscription=NT Kernel & System\tutf_8_file_version=6.3.9600.18066 (winblue_ltsb.150928-1002)\tutf_8_internal_name=ntkrnlmp.exe\tutf_8_legal_copyright=© Microsoft Corporation. All rights reserved.\tutf_8_legal_trademark=\tutf_8_on_disk_filename=c:\\\\windows\\\\system32\\\\ntoskrnl.exe\tutf_8_original_file_name=ntkrnlmp.exe\tutf_8_private_build=\tutf_8_product_description=\tutf_8_product_name=Microsoft® Windows® Operating System\tutf_8_product_version=6.3.9600.18066\tutf_8_special_build=',
  },
};
const FEED_HIT_JSON =
  '{"cb_server":"cbserver","cb_version":"5.2.0.161004.1206","computer_name":"WIN-IA9NQ1GN8OI","feed_id":24,"feed_name":"threatconnectintegration","from_feed_search":false,"group":"Default Group","hostname":"WIN-IA9NQ1GN8OI","ioc_attr":{"direction":"Outbound","dns_name":"actblues.com","local_ip":"172.22.5.141","local_port":52802,"port":80,"protocol":"TCP","remote_ip":"40.112.210.240","remote_port":80},"ioc_type":"dns","ioc_value":"actblues.com","link_process":"https://cbserver.example.com/#analyze/00000003-0000-03a0-01d2-3eb59e345cd5/1","link_sensor":"https://cbserver.example.com/#/host/3","os_type":"Windows","process_guid":"00000003-0000-03a0-01d2-3eb59e345cd5","process_id":"00000003-0000-03a0-01d2-3eb59e345cd5","report_id":"17326959","report_score":100,"segment_id":"1","sensor_id":3,"server_name":"localhost","timestamp":1479155289.752,"type":"feed.ingress.hit.process"}';
const FEED_HIT_LEEF =
  'LEEF:1.0|CB|CB|5.2.0.161004.1206|feed.ingress.hit.process|cb_server=cbserver\tcb_version=5.2.0.161004.1206\tcomputer_name=WIN-IA9NQ1GN8OI\tdst=40.112.210.240\tdstPort=80\tfeed_id=24\tfeed_name=threatconnectintegration\tfrom_feed_search=false\tgroup=Default Group\thostname=WIN-IA9NQ1GN8OI\tioc_attr={"direction":"Outbound","dns_name":"actblues.com","local_ip":"172.22.5.141","local_port":52802,"port":80,"protocol":"TCP","remote_ip":"40.112.210.240","remote_port":80}\tioc_type=dns\tioc_value=actblues.com\tlink_process=https://cbserver.example.com/#analyze/00000003-0000-03a0-01d2-3eb59e345cd5/1\tlink_sensor=https://cbserver.example.com/#/host/3\tos_type=Windows\tprocess_guid=00000003-0000-03a0-01d2-3eb59e345cd5\tprocess_id=00000003-0000-03a0-01d2-3eb59e345cd5\tproto=TCP\treport_id=17326959\treport_score=100\tsegment_id=1\tsensor_id=3\tserver_name=localhost\tsrc=172.22.5.141\tsrcPort=52802\ttimestamp=1479155289.752\ttype=feed.ingress.hit.process';
const BINARYINFO_LEEF =
  "LEEF:1.0|CB|CB|5.1|binaryinfo.host.observed|cb_server=cbserver\tcomputer_name=WIN-OTEMNUTBS23\thostname=WIN-OTEMNUTBS23\tlink_md5=https://cbserver.example.com/#/binary/EDB8DE74E38F1B6E4A9B8B8000334DF7\tlink_sensor=https://cbserver.example.com/#/host/7\tmd5=EDB8DE74E38F1B6E4A9B8B8000334DF7\tscores=\tsensor_id=7\ttimestamp=1447697628.646\ttype=binaryinfo.host.observed\twatchlists=";
const WATCHLIST_BINARY_LEEF =
  "LEEF:1.0|CB|CB|510|watchlist.hit.binary|cb_server=cbserver\tcb_version=510\tcompany_name=Microsoft Corporation\tcopied_mod_len=413248\tdigsig_issuer=Microsoft Windows Production PCA 2011\tdigsig_prog_name=Microsoft Windows\tdigsig_publisher=Microsoft Corporation\tdigsig_result=Signed\tdigsig_result_code=0\tdigsig_sign_time=2015-05-31T14:28:00Z\tdigsig_subject=Microsoft Windows\tendpoint=[WIN-OTEMNUTBS23|7]\tfile_desc=Windows User Mode Crash Reporting DLL\tfile_version=6.3.9600.17550 (winblue_r6.141205-1500)\tgroup=[Default Group]\thost_count=1\tinternal_name=faultrep.dll\tis_64bit=true\tis_executable_image=false\tlast_seen=2015-11-16T18:19:17.841Z\tlegal_copyright=© Microsoft Corporation. All rights reserved.\tlink_md5=https://cbserver.example.com/#/binary/2C354FA91EF605007FD11BB89EED2266\tmd5=2C354FA91EF605007FD11BB89EED2266\tobserved_filename=[c:\\windows\\system32\\faultrep.dll]\torig_mod_len=413248\toriginal_filename=faultrep.dll\tos_type=Windows\tproduct_name=Microsoft® Windows® Operating System\tproduct_version=6.3.9600.17550\tserver_added_timestamp=2015-11-16T18:19:17.841Z\tserver_name=cbtest\tsigned=Signed\ttimestamp=2015-11-16T18:19:17.841Z\ttype=watchlist.hit.binary\twatchlist_id=3\twatchlist_name=Newly Loaded Modules";

const EXAMPLE_URL = "https://cbserver.example.com/";
const CORPUS_URL = "https://cb.example.com/";

/** First document of a corpus notification in JSON (deep links rewritten to the worked examples' URL). */
function corpusNotification(key: string): Doc {
  const line = expectedLines("forwarder.jsonbus-links").find((l) => l.key === key);
  assert.ok(line, key);
  return busDoc(line.output.split("\n")[0].replaceAll(CORPUS_URL, EXAMPLE_URL));
}

describe("goFloatV (Go's %v of a float64)", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [2804, "2804"],
    [999999, "999999"],
    [1e6, "1e+06"],
    [1447697423, "1.447697423e+09"],
    [7457624, "7.457624e+06"],
    [Number(-8915740139778150230n), "-8.91574013977815e+18"],
    [1.309493186e17, "1.309493186e+17"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.4476974236713495e9, "1.4476974236713495e+09"],
    [1447697628.646, "1.447697628646e+09"],
    [-0.5, "-0.5"],
    [1e100, "1e+100"],
    [1.5e-300, "1.5e-300"],
  ];
  for (const [x, want] of cases) it(`${want}`, () => assert.equal(goFloatV(x), want));
});

describe("LEEF worked examples (LEEF.md §6) byte for byte", () => {
  for (const [name, ex] of Object.entries(RAW_EXAMPLES)) {
    it(`${name}, forwarder`, () => assert.equal(leefLine(rawDoc(ex.json), "forwarder"), ex.leef37));
    it(`${name}, forwarder-3.8`, () =>
      assert.equal(leefLine(doc38(rawDoc(ex.json), ex.drop38), "forwarder-3.8"), ex.leef38));
  }
  it("feed.ingress.hit.process (ioc_attr object, Outbound)", () =>
    assert.equal(leefLine(busDoc(FEED_HIT_JSON), "forwarder"), FEED_HIT_LEEF));
  it("binaryinfo.host.observed (empty objects)", () =>
    assert.equal(leefLine(corpusNotification("binaryinfo.host.observed/0"), "forwarder"), BINARYINFO_LEEF));
  it("watchlist.hit.binary (docs flattened, lists, header version from the document)", () =>
    assert.equal(leefLine(corpusNotification("watchlist.hit.binary/0"), "forwarder"), WATCHLIST_BINARY_LEEF));
});

describe("LEEF value rendering and escaping", () => {
  const line = (doc: Doc, profile: Profile = "forwarder") => leefLine({ type: "t", ...doc }, profile);
  const body = (doc: Doc, profile: Profile = "forwarder") =>
    line(doc, profile).replace("LEEF:1.0|CB|CB|5.1|t|", "");

  it("escapes backslash, LF, CR, TAB and '=' in strings and verbatim numbers only", () => {
    assert.equal(body({ a: "x\\y\nz\r\t=|\u0001é" }), "a=x\\\\y\\nz\\r\\t\\=|\u0001é\ttype=t");
    assert.equal(body({ a: new RawNumber("1e=5") }), "a=1e\\=5\ttype=t");
    assert.equal(body({ a: ["x=\\y", "z"] }), "a=[x=\\y z]\ttype=t");
  });
  it("renders integers, bigints, booleans, floats and bytes per profile", () => {
    const doc: Doc = {
      b: true,
      f: new FloatValue(1447697423.6713495),
      i: 1447697423,
      n: -8915740139778150230n,
    };
    assert.equal(
      body({ ...doc, x: Buffer.from([100, 134, 0]) }),
      "b=true\tf=1.4476974236713495e+09\ti=1447697423\tn=-8915740139778150230\ttype=t\tx=[100 134 0]",
    );
    assert.equal(
      body({ ...doc, x: Buffer.from([100, 134, 21, 0]) }, "forwarder-3.8"),
      "b=true\tf=1.4476974236713495e+09\ti=1.447697423e+09\tn=-8.91574013977815e+18\ttype=t\tx=ZIYVAA\\=\\=",
    );
  });
  it("skips nulls, except absent byte fields in the forwarder profile", () => {
    assert.equal(
      body({ a: null, icon: null, image_file_header: null }),
      "icon=[]\timage_file_header=[]\ttype=t",
    );
    assert.equal(body({ a: null, icon: null }, "forwarder-3.8"), "type=t");
  });
  it("renders objects as sorted Go JSON, empty ones as nothing, lists in %v form", () => {
    assert.equal(
      body({ o: { z: "<&>", a: new RawNumber("1.50") }, e: {} }),
      'e=\to={"a":1.50,"z":"\\u003c\\u0026\\u003e"}\ttype=t',
    );
    assert.equal(
      body({ l: [new RawNumber("7"), true, null, [], { b: "x y", a: [new RawNumber("1")] }] }),
      "l=[7 true <nil> [] map[a:[1] b:x y]]\ttype=t",
    );
    assert.equal(body({ l: [] }), "l=[]\ttype=t");
    assert.equal(
      body({ o: { n: 130921702131467731n } }, "forwarder-3.8"),
      'o={"n":130921702131467730}\ttype=t',
    );
  });
  it("keeps invalid bytes (lone surrogates) in the forwarder profile, U+FFFD in forwarder-3.8", () => {
    const bad = "a\udce2\udc82b\ud83d\ude00";
    assert.equal(body({ s: bad, l: [bad] }), `l=[${bad}]\ts=${bad}\ttype=t`);
    assert.equal(
      body({ s: bad, l: [bad] }, "forwarder-3.8"),
      "l=[a\ufffd\ufffdb😀]\ts=a\ufffd\ufffdb😀\ttype=t",
    );
    assert.equal(body({ o: { s: bad } }), 'o={"s":"a\\ufffd\\ufffdb😀"}\ttype=t');
  });
  it("takes the header version from cb_version and the event id from type", () => {
    assert.equal(leefLine({ a: 1 }, "forwarder"), "LEEF:1.0|CB|CB|5.1|unknown.event.type|a=1");
    assert.equal(
      leefLine({ cb_version: new RawNumber("510"), type: "x" }, "forwarder"),
      "LEEF:1.0|CB|CB|510|x|cb_version=510\ttype=x",
    );
    assert.equal(
      leefLine({ cb_version: 510, type: "x" }, "forwarder"),
      "LEEF:1.0|CB|CB|5.1|x|cb_version=510\ttype=x",
    );
    assert.equal(
      leefLine({ type: "ingress.event.procstart" }, "forwarder"),
      "LEEF:1.0|CB|CB|5.1|ingress.event.process|type=ingress.event.procstart",
    );
  });
  it("does not modify the document", () => {
    const doc: Doc = { type: "ingress.event.netconn", local_ip: "1.2.3.4", docs: [{ a: "b" }] };
    const copy = structuredClone(doc);
    leefLine(doc, "forwarder");
    assert.deepEqual(doc, copy);
  });
});

describe("LEEF key additions and docs flattening", () => {
  const net: Doc = { local_ip: "l", local_port: 1, protocol: 6, remote_ip: "r", remote_port: 2 };
  it("netconn: inbound swaps sides, anything else is outbound", () => {
    const inbound = leefLine({ type: "ingress.event.netconn", direction: "inbound", ...net }, "forwarder");
    assert.match(inbound, /\tdst=l\tdstPort=1\t.*\tproto=6\t.*\tsrc=r\tsrcPort=2\t/);
    const other = leefLine({ type: "ingress.event.netconn", direction: "Inbound", ...net }, "forwarder");
    assert.match(other, /\tdst=r\tdstPort=2\t.*\tproto=6\t.*\tsrc=l\tsrcPort=1\t/);
  });
  it("netconn: only keys present are copied; other types get nothing", () => {
    const v1 = leefLine({ type: "ingress.event.netconn", remote_ip: "r", Protocol: 6 }, "forwarder-3.8");
    assert.equal(
      v1,
      "LEEF:1.0|CB|CB|5.1|ingress.event.netconn|Protocol=6\tdst=r\tremote_ip=r\ttype=ingress.event.netconn",
    );
    assert.equal(leefLine({ type: "x", ...net }, "forwarder").includes("src="), false);
  });
  it("ioc_attr as JSON text: numbers verbatim, direction inside", () => {
    const ioc = '{"direction":"inbound","local_port":80.0,"remote_ip":"1.2.3.4","protocol":"TCP"}';
    assert.equal(
      leefLine({ type: "feed.x", ioc_attr: ioc }, "forwarder"),
      `LEEF:1.0|CB|CB|5.1|feed.x|dstPort=80.0\tioc_attr=${ioc.replaceAll("=", "\\=")}\tproto=TCP\tsrc=1.2.3.4\ttype=feed.x`,
    );
    assert.equal(
      leefLine({ type: "x", ioc_attr: '{"highlights":["a"]}' }, "forwarder").includes("src"),
      false,
    );
    assert.equal(
      leefLine({ type: "x", ioc_attr: "null" }, "forwarder"),
      "LEEF:1.0|CB|CB|5.1|x|ioc_attr=null\ttype=x",
    );
    assert.throws(() => leefLine({ type: "x", ioc_attr: "{bad" }, "forwarder"), LeefError);
    assert.throws(() => leefLine({ type: "x", ioc_attr: "[1]" }, "forwarder"), LeefError);
    assert.throws(() => leefLine({ type: "x", ioc_attr: "{} x" }, "forwarder"), LeefError);
  });
  it("docs: exactly one object, members overwrite the top level", () => {
    const doc: Doc = {
      cb_version: "5.1.0",
      timestamp: new RawNumber("1.5"),
      type: "w",
      docs: [{ cb_version: new RawNumber("510"), timestamp: "T" }],
    };
    assert.equal(leefLine(doc, "forwarder"), "LEEF:1.0|CB|CB|510|w|cb_version=510\ttimestamp=T\ttype=w");
    assert.throws(() => leefLine({ docs: [] }, "forwarder"), LeefError);
    assert.throws(() => leefLine({ docs: [{}, {}] }, "forwarder"), LeefError);
    assert.throws(() => leefLine({ docs: ["x"] }, "forwarder"), LeefError);
    assert.throws(() => leefLine({ docs: null }, "forwarder"), LeefError);
  });
});

// ---- corpus: cb-event-forwarder's own LEEF output ----

function compare(pairs: Iterable<[string, () => string, string]>, minimum: number): void {
  const mismatches: string[] = [];
  let count = 0;
  for (const [key, produce, want] of pairs) {
    count++;
    let got: string;
    try {
      got = produce();
    } catch (err) {
      got = `<${(err as Error).message}>`;
    }
    if (got !== want) mismatches.push(`${key}\n  want ${want}\n  got  ${got}`);
  }
  assert.ok(count >= minimum, `only ${count} lines`);
  assert.equal(
    mismatches.length,
    0,
    `${mismatches.length}/${count} differ:\n${mismatches.slice(0, 3).join("\n")}`,
  );
}

function* fromJson(jsonFile: string, leefFile: string, toDoc: (json: string) => Doc, profile: Profile) {
  const json = new Map(expectedLines(jsonFile).map((l) => [l.key, l.output]));
  for (const { key, output } of expectedLines(leefFile)) {
    const text = json.get(key);
    assert.ok(text !== undefined, key);
    const produce = () =>
      text
        .split("\n")
        .map((d) => leefLine(toDoc(d), profile))
        .join("\n");
    yield [key, produce, output] as [string, () => string, string];
  }
}

function* fromRaw(leefFile: string, profile: Profile) {
  const options = formatOptions({ profile, serverName: "cbserver" });
  for (const { key, output } of expectedLines(leefFile)) {
    const produce = () => {
      const doc = forwarderDocument(rawEvent(key), options);
      return doc === undefined ? "<no output>" : leefLine(doc, profile);
    };
    yield [key, produce, output] as [string, () => string, string];
  }
}

describe("LEEF corpus: expected JSON documents → LEEF (encoder alone)", () => {
  it("forwarder-3.7", () =>
    compare(fromJson("forwarder-3.7.json", "forwarder-3.7.leef", rawDoc, "forwarder"), 800));
  it("forwarder-3.8", () =>
    compare(fromJson("forwarder-3.8.json", "forwarder-3.8.leef", rawDoc, "forwarder-3.8"), 800));
  it("JSON notifications", () =>
    compare(fromJson("forwarder.jsonbus", "forwarder.jsonbus-leef", busDoc, "forwarder"), 250));
});

describe("LEEF corpus: raw protobuf events → forwarderDocument → LEEF", () => {
  it("forwarder-3.7", () => compare(fromRaw("forwarder-3.7.leef", "forwarder"), 800));
  it("forwarder-3.8", () => compare(fromRaw("forwarder-3.8.leef", "forwarder-3.8"), 800));
});

describe("LEEF corpus: JSON notifications → normalizeNotification → LEEF", () => {
  it("forwarder.jsonbus-leef", () => {
    const options = formatOptions({ serverName: "cbserver" });
    function* pairs() {
      for (const { key, output } of expectedLines("forwarder.jsonbus-leef")) {
        const routingKey = key.slice(0, key.lastIndexOf("/"));
        const produce = () =>
          normalizeNotification(readFileSync(rawPath("json", key)), routingKey, options)
            .map((doc) => leefLine(doc, "forwarder"))
            .join("\n");
        yield [key, produce, output] as [string, () => string, string];
      }
    }
    compare(pairs(), 250);
  });
});
