import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { RiskLimitsSchema, RiskScopeSchema, TradingStateSchema } from '../../domain/risk';
import type { Trip, KillSwitchTally } from '../../domain/risk';

/*
 * The risk workflow's messages (`keel-risk`). Operators' changes exist as signals (`temporal workflow
 * signal --name setTradingState`) and as updates of the same name (accepted or rejected, with why); the
 * lift exists only as an update, since it must answer whether its proof held. Malformed signals are
 * logged, counted and dropped.
 */

const ActorSchema = z.string().min(1).max(100).default('operator');
const ReasonSchema = z.string().trim().min(1, 'say why').max(500);

export const SetTradingStateSchema = z
  .object({
    scope: RiskScopeSchema,
    /** '' for global; a venue; `venue:account`; a canonical symbol. */
    key: z.string().max(100).default(''),
    state: TradingStateSchema,
    actor: ActorSchema,
    reason: ReasonSchema,
  })
  .strict()
  .refine((change) => (change.scope === 'global') === (change.key === ''), {
    message: "key must be '' for the global scope and name the venue, account or symbol otherwise",
  });

export const SetRiskLimitsSchema = z
  .object({
    scope: z.enum(['global', 'account']),
    key: z.string().max(100).default(''),
    limits: RiskLimitsSchema,
    actor: ActorSchema,
    reason: ReasonSchema,
  })
  .strict()
  .refine((change) => (change.scope === 'global') === (change.key === ''), {
    message: "key must be '' for the global scope and `venue:account` for an account",
  });

export const EngageKillSwitchSchema = z.object({ actor: ActorSchema, reason: ReasonSchema }).strict();

export const LiftKillSwitchSchema = z
  .object({
    incident: z.string().min(1).max(100),
    /** HMAC-SHA256 of `keel-lift:<incident>` under KEEL_KILL_SWITCH_TOKEN, in hex (not the token). */
    proof: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex digits of the lift proof'),
    actor: ActorSchema,
    reason: ReasonSchema,
  })
  .strict();

export type SetTradingStateInput = z.input<typeof SetTradingStateSchema>;
export type SetRiskLimitsInput = z.input<typeof SetRiskLimitsSchema>;
export type EngageKillSwitchInput = z.input<typeof EngageKillSwitchSchema>;
export type LiftKillSwitchInput = z.input<typeof LiftKillSwitchSchema>;

export interface KillSwitchStatus {
  incident: string;
  actor: string;
  reason: string;
  /** Every order it had to end has ended (denied, cancelled, or proven never placed). */
  swept: boolean;
  passes: number;
  tally: KillSwitchTally[];
  left: number;
  unreachable: string[];
}

export interface RiskStatus {
  workflowId: string;
  killSwitch: KillSwitchStatus | null;
  /** Breakers holding a state now. */
  tripped: Trip[];
  /** Malformed signals dropped (carried across runs). */
  dropped: number;
  /** When the breakers last looked (workflow time, ms), and whether that look failed. */
  lastLookAt: number | null;
  lookFailing: string | null;
}

export const setTradingStateSignal = defineSignal<[SetTradingStateInput]>('setTradingState');
export const setRiskLimitsSignal = defineSignal<[SetRiskLimitsInput]>('setRiskLimits');
export const engageKillSwitchSignal = defineSignal<[EngageKillSwitchInput]>('engageKillSwitch');

export const setTradingStateUpdate = defineUpdate<{ cleared: string[] }, [SetTradingStateInput]>(
  'setTradingState',
);
export const setRiskLimitsUpdate = defineUpdate<void, [SetRiskLimitsInput]>('setRiskLimits');
export const engageKillSwitchUpdate = defineUpdate<{ incident: string }, [EngageKillSwitchInput]>(
  'engageKillSwitch',
);
export const liftKillSwitchUpdate = defineUpdate<{ incident: string }, [LiftKillSwitchInput]>(
  'liftKillSwitch',
);

export const riskStatusQuery = defineQuery<RiskStatus>('status');
