export { ErrorCodes, BucardoError, causeChain, connectionLost, NODE_POSTGRES_LOST, isBucardoError, isConnectionLost, isRetryable, retryable, serverMessage, toBucardoError } from './errors.js';
export type { ErrorCode, ErrorSubject, BucardoErrorOptions } from './errors.js';
export { formatTable, parseTableName, tableId } from './table.js';
export type { TableRef, ColumnInfo, TableShape } from './table.js';
export type { ForeignKey, ForeignKeyOnDelete } from './foreign-key.js';
export { encodeKey, decodeKey, displayKey, textLiteral, keyParts, keyMaker, keyPartCanonicalizer, keyPartKind, keyPartition } from './keys.js';
export type { KeyText } from './keys.js';
export { copyLineRanges, parseCopyLine, encodeCopyLine, encodeCopyLines, addDecimal } from './copy-text.js';
export type { TextValue } from './copy-text.js';
export { RowBatch } from './row-batch.js';
export { dependencyOrder } from './dependency-order.js';
export { ChangeLog } from './change-log.js';
export { defaultPassword, passwordFromFile } from './libpq-password.js';
export { PGSSLMODE_VALUES, SSLMODE_VALUES, checkPgSslMode, checkSslMode } from './libpq-sslmode.js';
export { SERVICE_KEYS, readService, serviceFiles } from './libpq-service.js';
export type { ServiceDefinition, ServiceKey } from './libpq-service.js';
export { readTlsFiles } from './libpq-tls-files.js';
export type { SslPassword, TlsFileContents, TlsFileSettings } from './libpq-tls-files.js';
export { libpqTls, libpqTlsSetup, tlsBesideService } from './libpq-tls.js';
export type { LibpqTlsSetup, NodeTlsOptions, TlsSettings } from './libpq-tls.js';
export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, appendPrivateFile, makePrivateDir, openPrivateFile, writePrivateFile } from './private-files.js';
export { redactUrl } from './redact-url.js';
export type { PasswordTarget } from './libpq-password.js';
export { countChanges } from './changes.js';
export type { ChangeOp, KeyChange, TableChanges, Checkpoint, SourceChanges, ChangeSet } from './changes.js';
export { defaultTargetCapabilities } from './database.js';
export type {
  DatabaseSpec, OpenContext, DatabaseDriver, SqlAccess, SourceCapabilities, SourceDriver, SourceSession, CaptureArgs, CaptureProblem, FetchArgs,
  TargetCapabilities, TargetWriter, TargetSession, ApplyBatch, ApplyResult, TruncateOptions, RunInfo, RunEnd, ReadTableArgs, SequenceState,
  RowSummaryRequest, RowSummary, RowDigestRequest, PartitionDigests,
} from './database.js';
export { classifyConflict, isDecision, isWinner } from './conflict.js';
export type { ConflictKind, Candidate, Conflict, Decision, Decisions, ResolveConflictsArgs, ConflictStrategy, ValidateStrategyArgs } from './conflict.js';
export type {
  DatabaseRole, SyncDatabase, RunArgs, TableBatch, FetchedRows, BatchArgs, ResolveArgs, ApplyArgs, ApplyOutcome,
  RunOutcome, TableCounts, RunReport,
} from './run.js';
export { closestName, unknownKeys, unknownOption } from './closest-name.js';
export { LogLevels, logLevelsText, isLogLevel, levelEnabled, silentLogger } from './logger.js';
export type { LogLevel, LogFields, Logger, LoggerOptions, LoggerFactory } from './logger.js';
export { hookNames } from './hooks.js';
export type { TapOptions, WaterfallHook, BailHook, ParallelHook, SyncHooks, HookName } from './hooks.js';
export type { ApplyFailedArgs, ApplyFailedAnswer, ApplyFailedBatch, SqlConnection } from './apply-failed.js';
export { SDK_VERSION, definePlugin } from './plugin.js';
export type { PluginHost, BucardoPlugin, PluginFactory } from './plugin.js';
export { defineConfig } from './config.js';
export type { PluginSpec, ControlDatabaseConfig, BucardoConfig } from './config.js';
