// Distributed tracing: W3C Trace Context and B3 propagation, parent-based sampling, one span per request
// per hop, exported over OTLP/HTTP protobuf.
export { trace, type TraceParams } from './layer.js';
export { OtlpHttpExporter, type OtlpHttpExporterOptions, type ExporterStats } from './exporter.js';
export { parentBased, type Sampler } from './sampler.js';
export * from './propagation.js';
export * from './span.js';
export { encodeExportRequest } from './otlp.js';
