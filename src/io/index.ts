// klscope/io: readers and writers: .npy, .kld, .safetensors, token ids, text corpora, sample matrices, log-prob JSONL.
export { readNpy, parseNpy, encodeNpy, parseNpyHeader } from './npy.js';
export type { NpyArray, NpyHeader } from './npy.js';
export { readMatrixArg } from './matrixArg.js';
export { KldFile, KldWriter, encodeKldRow, kldLayout, parseKldHeader, decodeKldValue, KLD_WINDOW } from './kld.js';
export type { KldHeader, KldWriterOptions } from './kld.js';
export { openNpyRows, FloatRowFile } from './npyRows.js';
export { openSafetensorsRows, parseSafetensorsHeader, encodeSafetensors } from './safetensors.js';
export type { SafetensorsHeader, SafetensorsEntry } from './safetensors.js';
export { readTokenIds } from './tokens.js';
export { readCorpus, decodeUtf8Strict, firstInvalidUtf8 } from './textFiles.js';
export type { CorpusDocument, ReadCorpusOptions } from './textFiles.js';
export { readSampleMatrix, parseSampleCsv } from './sampleMatrix.js';
export { readLogprobJsonl, parseLogprobLine } from './logprobJsonl.js';
export type { LogprobSequence } from './logprobJsonl.js';
export { KlrefFile, KlrefWriter, summarizeLogRow, roundKlrefRow, storedLogpError } from './klref.js';
export type { KlrefHeader, KlrefRow } from './klref.js';
