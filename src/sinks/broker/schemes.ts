// The URL schemes of the broker and store outputs (a module of its own: network-url.ts lists them among all
// network schemes while broker-url.ts, which parses them, uses network-url.ts's query reader).
export const BROKER_SCHEMES = ["kafka", "amqp", "amqps", "nats", "s3"] as const;
export type BrokerScheme = (typeof BROKER_SCHEMES)[number];
