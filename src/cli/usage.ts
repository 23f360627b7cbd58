// Help texts. Every option is documented with an example.

export const MAIN_HELP = `cbexport — export Carbon Black EDR sensor events, decoded exactly, in cb-event-forwarder formats

Usage:
  cbexport export [options] PATH...      archive files or folder trees of them
  cbexport convert [options] FILE...     captured bus message bodies
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
                                 several times, e.g. --output /var/log/cb/events.json
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
