// @temporalio/proto is CommonJS whose exports Node's ESM loader cannot detect: take the namespace once here.
import proto from '@temporalio/proto';

export const temporalApi = proto.temporal.api;
