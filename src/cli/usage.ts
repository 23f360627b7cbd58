// Help texts. Every option is documented with an example.

export const MAIN_HELP = `cbexport — export Carbon Black EDR sensor events, decoded exactly, in cb-event-forwarder formats

Usage:
  cbexport export [options] PATH...      archive files or folder trees of them
  cbexport convert [options] FILE...     captured bus message bodies
  cbexport bus [options]                 consume the CB server's RabbitMQ bus until stopped
  cbexport generate --out DIR --events N  a synthetic archive (deterministic, for tests and benchmarks)
  cbexport follow [options] PATH...      follow a growing archive, with checkpoints (--state DIR)
  cbexport run --config FILE.yaml        run as a service: sources, outputs, status endpoint (docs/service.md)
  cbexport check --config FILE.yaml      validate a configuration and try each output's connection
  cbexport import-forwarder-config FILE  print the run configuration equivalent to a cb-event-forwarder.conf
  cbexport help [COMMAND]                this text, or a command's options

Examples:
  cbexport export /var/cb/archive > events.json
  cbexport export --format leef --server-url https://cb.example.com/ /var/cb/archive/12
  cbexport convert --routing-key ingress.event.netconn capture.protobuf

Exit status: 0 every record exported; 3 finished, but some input was damaged or could not be
converted (each case is named on stderr with its file and offset); 2 usage error; 1 fatal error.
`;

const FORMAT_OPTIONS = `Format options:
  --format json|leef|csv|table   output format (default json)
                                 e.g. --format leef
  --profile forwarder|forwarder-3.8|eventexporter
                                 which tool's documents to reproduce (default forwarder = cb-event-forwarder
                                 3.7; forwarder-3.8 = its 3.8 releases; eventexporter = the original
                                 eventExporter.py), e.g. --profile forwarder-3.8
  --server-name NAME             value of "cb_server" (default: this host's name), e.g. --server-name cbprod
  --server-url URL               add deep links (link_process, link_sensor, ...) to this CB server,
                                 e.g. --server-url https://cb.example.com/
  --time-float                   timestamps as float seconds (1447697423.6713495) instead of integers
  --events NAME,...              raw event kinds to export (default all), forwarder names,
                                 e.g. --events ingress.event.netconn,ingress.event.procstart
  --remove-from-output KEY,...   delete these top-level keys from every document (forwarder profile),
                                 e.g. --remove-from-output cb_server,computer_name
  --legacy-md5-column            table/csv: print the md5 column as the original script did (hex of the hex)
  --sensor-id N                  sensor id for records that name none (no env, no folder id), e.g. --sensor-id 12
  --output DEST                  write here instead of stdout ("-"); a path or file:// URL; may be given
                                 several times, e.g. --output /var/log/cb/events.json; an existing file is
                                 appended to; a file:// URL may carry its own rotation options, e.g.
                                 file:///var/log/cb/events.json?rotate_bytes=104857600&rotate_seconds=3600&gzip=true
                                 Network outputs (every option in docs/outputs.md): syslog+udp://, syslog+tcp://,
                                 syslog+tls://, tcp://, tls://, udp://, http(s)://, splunk+http(s)://; any URL
                                 may set its own format=json|leef|csv|table, a spool=DIR for outages, e.g.
                                 syslog+tls://siem.example.com:6514?ca=/etc/cbexport/ca.pem&format=leef
                                 splunk+https://splunk:8088?token_file=/etc/cbexport/hec.token&ack=true
  --retry-for SECONDS            network outputs: how long a destination may fail before cbexport gives up
                                 (exit 1) or, with spool=DIR, leaves the rest spooled (default 300; forever),
                                 e.g. --retry-for 3600
  --rotate-bytes N               file outputs: before a write would take a file past N bytes, rename it with
                                 the time (events.2026-11-28T07-12-03.123Z.json) and start a new one; writes
                                 are batches of whole lines (up to about 1 MiB), never split,
                                 e.g. --rotate-bytes 104857600
  --rotate-seconds N             file outputs: rotate a file at the first write once its first byte is N
                                 seconds old, e.g. --rotate-seconds 3600
  --gzip                         compress rotated files (events.2026-11-28T07-12-03.123Z.json.gz)
  --max-record-bytes N           a length prefix above this is corruption (default 67108864)
  -h, --help                     this help
`;

export const EXPORT_HELP = `Usage: cbexport export [options] PATH...

Reads archived sensor event logs (as the CB server writes them with archive.properties) and writes one line
per event. Each PATH is a file or a folder searched recursively; files are read in path order. The sensor id
of records without one comes from the name of the folder holding the file (e.g. .../archive/12/x.log → 12).

Example:
  cbexport export --output events.json /var/cb/archive

Archive options:
  -A, --auto                     read the archive folder from /etc/cb/datastore/archive.properties
                                 (cbfs-http.log-archive.filesystem.location), e.g. cbexport export --auto
  --archive-properties FILE      the same from another properties file,
                                 e.g. --archive-properties /tmp/archive.properties
  --remove                       delete each archive file once all its records are written and flushed to
                                 every output; a file with damaged records is kept, e.g. --remove
  --remove-damaged               with --remove, delete damaged files too (their good records are exported)
  --threads N                    format on N threads (default: one per core; 1 = in-process); inputs under
                                 16 MiB are always exported in-process, e.g. --threads 2

${FORMAT_OPTIONS}`;

export const CONVERT_HELP = `Usage: cbexport convert --routing-key KEY [options] FILE...

Converts captured bus message bodies as if each had arrived on the CB server's RabbitMQ bus with that routing
key and those headers: a single CbEventMsg, a length-prefixed bundle, a zip bundle or a JSON notification.
Output follows argument order.

Example:
  cbexport convert --routing-key feed.24.ingress.hit.process alert.json
  cbexport convert --content-type application/zip --exchange api.rawsensordata \\
      --header sensorId=1 --header sensorHostName=HOST bundle.zip

Message options:
  --routing-key KEY              routing key the message arrived with (required), e.g. watchlist.hit.process
  --content-type TYPE            application/protobuf | application/json | application/zip
                                 (default: guessed from the body)
  --exchange NAME                api.events (default) or api.rawsensordata (bundles)
  --header NAME=VALUE            an AMQP header, e.g. --header sensorId=7 --header sensorHostName=WIN-1

${FORMAT_OPTIONS}`;

export const FOLLOW_HELP = `Usage: cbexport follow PATH... --state DIR [options]

Follows a CB server's archive folder until stopped: new sensor folders and new files are picked up as the
server writes them (file-system notifications plus a periodic rescan). Files still being written are read
incrementally. Progress is checkpointed in the state folder only after the outputs have durably accepted
the records, so a restart after SIGTERM, a crash or SIGKILL neither loses nor repeats a record in a file
output (bytes written after the last checkpoint are cut on restart). On stdout delivery is at least once.
SIGTERM/SIGINT: finish the batch in hand, flush, checkpoint, exit 0.

Example:
  cbexport follow /var/cb/archive --state /var/lib/cbexport --output /var/log/cb/events.json --remove

Follow options:
  --state DIR                    where checkpoints are kept (required), e.g. --state /var/lib/cbexport
  --settle SECONDS               a file whose size changed within this time is still being written
                                 (default 5; a file written to again later is read on), e.g. --settle 10
  --rescan SECONDS               full rescan interval, in case notifications were missed (default 30)
  --remove                       delete each archive file once it is completely exported
  --remove-damaged               with --remove, delete files with damaged records too
  --retain-hours H               delete completely exported files older than H hours, e.g. --retain-hours 72
  --max-archive-bytes N          delete the oldest completely exported files while the archive is larger
                                 than N bytes, e.g. --max-archive-bytes 50000000000
  --threads N                    format on N threads, so that a backlog is caught up on every core
                                 (default: one per core; 1 = in-process), e.g. --threads 2
  --idle-exit SECONDS            stop (checkpointed, exit 0) once caught up and nothing new came for that
                                 long, e.g. --idle-exit 0 (a scheduled catch-up) or --idle-exit 600

${FORMAT_OPTIONS}`;

export const BUS_HELP = `Usage: cbexport bus [options]

Consumes the CB server's RabbitMQ bus (docs/bus.md) until SIGTERM/SIGINT or --idle-exit: raw events (zip and
plain bundles on api.rawsensordata, or single events on api.events) and JSON notifications, written like
export/convert write them. The queue is durable and named (--queue), so nothing published while cbexport is
down is lost, and several cbexport processes with the same --queue share the work. A message is acknowledged
only once every output holds it durably (at least once: after a crash or a lost connection the unacknowledged
batch comes again). A message that cannot be exported completely goes to the dead-letter folder (its body and
a JSON file with its properties, routing key, exchange and the reasons), is logged and then acknowledged; its
good events are still exported. SIGTERM/SIGINT: stop consuming, write and acknowledge the batch in hand, exit 0.

Example:
  cbexport bus --output /var/log/cb/events.json
  cbexport bus --url amqps://cbexport:secret@cb.example.com:5004/ --tls-ca /etc/cbexport/ca.pem \\
      --events raw,notifications --bind 'watchlist.#' --bind 'feed.#'

Connection options:
  --url URL                      amqp[s]://user:password@host:port/vhost (default amqp://localhost:5004/ with
                                 the credentials of --cb-conf; a URL without user uses them too; no port means
                                 5004, no vhost means "/"), e.g. --url amqp://cbexport:secret@cb.example.com:5004/
  --cb-conf FILE                 RabbitMQUser/RabbitMQPassword from this file (default /etc/cb/cb.conf),
                                 e.g. --cb-conf /etc/cbexport/bus.conf
  --tls-ca FILE                  amqps: PEM CA certificate(s) to verify the broker with, e.g. --tls-ca ca.pem
  --tls-cert FILE                amqps: PEM client certificate (with --tls-key), e.g. --tls-cert client.pem
  --tls-key FILE                 amqps: PEM key of the client certificate, e.g. --tls-key client.key
  --tls-insecure                 amqps: do not verify the broker's certificate (the forwarder's behaviour)

Consumer options:
  --queue NAME                   durable queue to consume (default cbexport); the same name in several
                                 processes shares the messages between them, e.g. --queue cbexport-siem
  --events NAME,...              what to take: raw (every raw event kind), notifications, all (default), or
                                 raw event names, e.g. --events ingress.event.netconn,notifications
  --raw-source bundles|events    where raw events come from, exactly one source so none arrives twice:
                                 bundles = api.rawsensordata (EnableRawSensorDataBroadcast, default), events =
                                 ingress.event.* on api.events (DatastoreBroadcastEventTypes),
                                 e.g. --raw-source events
  --bind PATTERN                 api.events routing-key pattern for notifications, repeatable; replaces the
                                 default watchlist.# feed.# alert.# binaryinfo.# binarystore.#
                                 events.partition.# task.error.logged, e.g. --bind 'feed.#' --bind 'alert.#'
  --prefetch N                   messages held unacknowledged at most, also the largest batch (default 500),
                                 e.g. --prefetch 100
  --batch-wait MS                how long a batch waits for more messages before it is written (default 200)
  --dead-letter DIR              where undecodable messages go (default ./cbexport-dead-letter),
                                 e.g. --dead-letter /var/lib/cbexport/dead-letter
  --idle-exit SECONDS            stop once no message came for this long and the queue is empty,
                                 e.g. --idle-exit 60
  --events-exchange NAME         the exchange of notifications and single events (default api.events)
  --raw-exchange NAME            the exchange of bundles (default api.rawsensordata)

${FORMAT_OPTIONS}`;

export const RUN_HELP = `Usage: cbexport run --config FILE.yaml [--log-level LEVEL]

Runs as a service (docs/service.md): the named sources of the configuration (follow, export, bus) feed its
named outputs (file, stdout, syslog, tcp, udp, http, splunk, ...), with filters per output, host enrichment
from the CB server's REST API and a status endpoint (/healthz, /readyz, /metrics, /status). Checkpoints and
acknowledgements wait for every output. Logs are JSON lines on stderr.

Signals: SIGTERM/SIGINT finish the batch in hand, flush, checkpoint or acknowledge, and exit 0; SIGHUP
reloads the configuration (a bad one is refused and the running one stays).

Example:
  cbexport run --config /etc/cbexport/cbexport.yaml

Options:
  -c, --config FILE              the configuration (YAML), e.g. --config /etc/cbexport/cbexport.yaml
  --log-level LEVEL              fatal, error, warn, info (default), debug or trace; wins over log.level
  -h, --help                     this help

Exit status: 0 stopped by a signal (or every export source done); 3 export sources only, some input
damaged; 2 the configuration is refused (each problem named with file, line and key); 1 fatal error.
`;

export const CHECK_HELP = `Usage: cbexport check --config FILE.yaml

Validates the configuration as run does, then tries what can be tried without sending events: each output's
connection (TCP and TLS handshakes, HTTP servers reached, Splunk HEC token accepted, file folders writable),
the archive folders of follow and export sources, each bus source's broker and exchanges, the state folder,
and the CB server's REST API of enrichment. Prints one line per check.

Example:
  cbexport check --config /etc/cbexport/cbexport.yaml

Exit status: 0 every check passed; 1 some check failed (named with the reason); 2 the configuration is
refused.
`;

export const IMPORT_FORWARDER_HELP = `Usage: cbexport import-forwarder-config [FILE]

Prints the cbexport run configuration (YAML) equivalent to a cb-event-forwarder INI configuration (default
/etc/cb/integrations/event-forwarder/cb-event-forwarder.conf). Settings that have no equivalent, or whose
value the forwarder read in a surprising way (its INI reader keeps "# comments" after a value as part of the
value), are named in comments in the output and on stderr. Review the result, then run cbexport check.

Example:
  cbexport import-forwarder-config /etc/cb/integrations/event-forwarder/cb-event-forwarder.conf > cbexport.yaml
`;

export const GENERATE_HELP = `Usage: cbexport generate --out DIR --events N [--sensors K] [--seed S]

Writes a synthetic archive as a CB server lays it out: one folder per sensor id under DIR, files named by
receive time (YYYY-MM-DD_HH-MM-SS-mmm.log), each a batch of length-prefixed records without env. The mix of
event kinds, processes (start, events, end), paths (some non-ASCII), hashes, IPv4/IPv6 peers and FILETIMEs
around 2024 is realistic; the same seed always gives byte-identical files.

Example:
  cbexport generate --out /tmp/archive --events 100000 --sensors 8 --seed 7
  cbexport export /tmp/archive > /tmp/events.json

Options:
  --out DIR          where to write (created if missing; must be empty), e.g. --out /tmp/archive
  --events N         number of records in all, 1 to 1000000000, e.g. --events 1000000
  --sensors K        number of sensors (default 4), 1 to 100000, e.g. --sensors 8
  --seed S           PRNG seed, 0 to 4294967295 (default 1), e.g. --seed 7
  -h, --help         this help
`;
