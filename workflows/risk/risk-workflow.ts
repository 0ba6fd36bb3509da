import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { KeelActivities } from '../strategies/strategy-types';
import { dropReason, refuseUndecodableInput } from '../undecodable-payload';
import {
  BreakerSettingsSchema,
  emptyMemory,
  evaluateBreakers,
  forgetCleared,
  type BreakerMemory,
  type BreakerSettings,
} from './breakers';
import {
  EngageKillSwitchSchema,
  engageKillSwitchSignal,
  engageKillSwitchUpdate,
  LiftKillSwitchSchema,
  liftKillSwitchUpdate,
  riskStatusQuery,
  SetRiskLimitsSchema,
  setRiskLimitsSignal,
  setRiskLimitsUpdate,
  SetTradingStateSchema,
  setTradingStateSignal,
  setTradingStateUpdate,
  type KillSwitchStatus,
  type RiskStatus,
} from './risk-messages';

export const RISK_WORKFLOW_ID = 'keel-risk';

export const RiskInputSchema = z.object({
  breakers: BreakerSettingsSchema,
  /** Continue-as-new once history reaches this many events even if the server has not suggested it. */
  maxHistoryEvents: z.number().int().min(100).max(50_000).default(5_000),
});
export type RiskInput = z.input<typeof RiskInputSchema> & { carried?: RiskCarried };

interface RiskCarried {
  memory: BreakerMemory;
  killSwitch: KillSwitchStatus | null;
  dropped: number;
}

type RiskActivities = Pick<
  KeelActivities,
  'applyTradingState' | 'applyRiskLimits' | 'engageKillSwitch' | 'liftKillSwitch' | 'observeRisk'
>;

const risk = proxyActivities<RiskActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    maximumInterval: '10 seconds',
    nonRetryableErrorTypes: ['KillSwitchLiftRefused'],
  },
});
// One pass over every live order; it heartbeats per order, so a dead worker's pass is retried quickly.
const sweeper = proxyActivities<Pick<KeelActivities, 'sweepKillSwitch'>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});
// Alerts retry for about an hour, then give up (logged): an alert must never hold up the risk engine.
const alerter = proxyActivities<Pick<KeelActivities, 'sendAlert'>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '2 minutes',
    maximumAttempts: 40,
    nonRetryableErrorTypes: ['AlertMisconfigured', 'AlertInvalid'],
  },
});

/**
 * The risk engine's one workflow (`keel-risk`): operators' trading states and limits, the kill switch and
 * the circuit breakers. The checks themselves run in the order path against PostgreSQL, where this
 * workflow's activities write every state; so a halt holds in every worker process at once, and across
 * restarts of any part, whether or not this workflow is running.
 */
export async function riskWorkflow(rawInput: RiskInput = {}): Promise<void> {
  refuseUndecodableInput(rawInput, 'riskWorkflow');
  const input = RiskInputSchema.parse(rawInput);
  const settings: BreakerSettings = input.breakers;
  const { workflowId } = workflowInfo();
  let memory = rawInput.carried?.memory ?? emptyMemory();
  let killSwitch = rawInput.carried?.killSwitch ?? null;
  let dropped = rawInput.carried?.dropped ?? 0;
  let lastLookAt: number | null = null;
  let lookFailing: string | null = null;
  let wake = false;
  let alertsInFlight = 0;

  const alert = (incident: string, text: string) => {
    alertsInFlight += 1;
    void alerter
      .sendAlert({ incident, text })
      .catch((error: unknown) => log.error('alert not delivered', { incident, error: String(error) }))
      .finally(() => (alertsInFlight -= 1));
  };

  const setTradingState = async (payload: unknown) => {
    const change = SetTradingStateSchema.parse(payload);
    const result = await risk.applyTradingState({ ...change, source: 'operator' });
    if (result.cleared.length > 0) memory = forgetCleared(memory, change.scope, change.key, result.cleared);
    return result;
  };
  const setRiskLimits = async (payload: unknown) => {
    await risk.applyRiskLimits(SetRiskLimitsSchema.parse(payload));
  };
  /** Engaged once: the halt is in the database before this returns; the sweep follows in the main loop. */
  const engageKillSwitch = async (payload: unknown) => {
    const engagement = EngageKillSwitchSchema.parse(payload);
    if (killSwitch) return { incident: killSwitch.incident };
    const stamp = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
    const status: KillSwitchStatus = {
      incident: `kill-${stamp}-${uuid4().slice(0, 4)}`,
      ...engagement,
      swept: false,
      passes: 0,
      tally: [],
      left: 0,
      unreachable: [],
    };
    killSwitch = status;
    await risk.engageKillSwitch({ incident: status.incident, ...engagement });
    alert(
      `${status.incident}:engaged`,
      `Keel: KILL SWITCH engaged by ${engagement.actor} (${engagement.reason}); cancelling every open order`,
    );
    wake = true;
    return { incident: status.incident };
  };

  const onSignal = (name: string, handle: (payload: unknown) => Promise<unknown>) => (payload: unknown) => {
    try {
      // Validated before anything runs, so a malformed signal changes nothing.
      if (name === 'setTradingState') SetTradingStateSchema.parse(payload);
      else if (name === 'setRiskLimits') SetRiskLimitsSchema.parse(payload);
      else EngageKillSwitchSchema.parse(payload);
    } catch (error) {
      dropped += 1;
      log.warn(`dropped ${name} signal`, {
        reason: dropReason(payload, error instanceof Error ? error.message : String(error)),
      });
      return;
    }
    void handle(payload);
  };
  setHandler(setTradingStateSignal, onSignal('setTradingState', setTradingState));
  setHandler(setRiskLimitsSignal, onSignal('setRiskLimits', setRiskLimits));
  setHandler(engageKillSwitchSignal, onSignal('engageKillSwitch', engageKillSwitch));
  setHandler(setTradingStateUpdate, setTradingState, {
    validator: (payload) => void SetTradingStateSchema.parse(payload),
  });
  setHandler(setRiskLimitsUpdate, setRiskLimits, {
    validator: (payload) => void SetRiskLimitsSchema.parse(payload),
  });
  setHandler(engageKillSwitchUpdate, engageKillSwitch, {
    validator: (payload) => void EngageKillSwitchSchema.parse(payload),
  });
  setHandler(
    liftKillSwitchUpdate,
    async (payload) => {
      const lift = LiftKillSwitchSchema.parse(payload);
      const engaged = killSwitch;
      if (!engaged || engaged.incident !== lift.incident)
        throw ApplicationFailure.nonRetryable(
          `kill switch ${lift.incident} is not engaged`,
          'KillSwitchNotEngaged',
        );
      try {
        await risk.liftKillSwitch({ ...lift, report: engaged });
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        throw ApplicationFailure.nonRetryable(
          cause instanceof Error ? cause.message : String(cause),
          'KillSwitchLiftRefused',
        );
      }
      killSwitch = null;
      alert(
        `${lift.incident}:lifted`,
        `Keel: kill switch ${lift.incident} lifted by ${lift.actor} (${lift.reason})`,
      );
      return { incident: lift.incident };
    },
    {
      validator: (payload) => {
        const lift = LiftKillSwitchSchema.parse(payload);
        if (killSwitch?.incident !== lift.incident)
          throw new Error(
            killSwitch
              ? `the engaged kill switch is ${killSwitch.incident}, not ${lift.incident}`
              : 'no kill switch is engaged',
          );
      },
    },
  );
  setHandler(riskStatusQuery, (): RiskStatus => ({
    workflowId,
    killSwitch,
    tripped: Object.values(memory.tripped),
    dropped,
    lastLookAt,
    lookFailing,
  }));

  /** Sweeps until every order the kill switch must end has ended; stops if it is lifted meanwhile. */
  const sweep = async (engaged: KillSwitchStatus) => {
    while (killSwitch === engaged && !engaged.swept) {
      const pass = await sweeper.sweepKillSwitch({ incident: engaged.incident });
      Object.assign(engaged, { ...pass, passes: engaged.passes + 1, swept: pass.left === 0 });
      if (engaged.swept) {
        const tally =
          engaged.tally.map((entry) => `${entry.outcome} ${entry.count}`).join(', ') || 'no open orders';
        alert(
          `${engaged.incident}:swept`,
          `Keel: kill switch ${engaged.incident} has ended every open order: ${tally}`,
        );
      } else await sleep('1 second');
    }
  };

  /** One look of the circuit breakers: observe, decide (pure), then set states and raise alerts. */
  // Quotes are asked for about three times per stale bound (every 10 s by default), not on every look:
  // each is one request per traded book to the venues, whose rate limits the orders need more.
  const quoteEvery = Math.max(1, Math.floor(settings.stale.maxAgeMs / 3 / settings.everyMs));
  let looks = 0;
  const look = async () => {
    try {
      const seen = await risk.observeRisk({
        latencyWindowMs: settings.latency.windowMs,
        errorWindowMs: settings.errors.windowMs,
        drawdownWindowMs: settings.drawdown?.windowMs,
        denialWindowMs: 60_000,
        quotes: looks++ % quoteEvery === 0,
      });
      lookFailing = null;
      const decided = evaluateBreakers(settings, seen, memory);
      memory = decided.memory;
      for (const action of decided.actions) {
        // Incident numbers restart with a new workflow; its first run id keeps them new, and is the same
        // across continue-as-new (and on replay).
        if (action.type === 'alert')
          alert(`${workflowInfo().firstExecutionRunId}:${action.incident}`, action.text);
        else
          await risk.applyTradingState({
            scope: action.trip.scope,
            key: action.trip.key,
            state: action.type === 'trip' ? action.trip.state : 'ACTIVE',
            source: `breaker:${action.trip.breaker}`,
            actor: `breaker:${action.trip.breaker}`,
            reason: action.type === 'trip' ? action.trip.reason : action.reason,
          });
      }
    } catch (error) {
      lookFailing = error instanceof Error ? error.message : String(error);
      log.warn('the circuit breakers could not look', { error: lookFailing });
    }
    lastLookAt = Date.now();
  };

  const closing = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= input.maxHistoryEvents;
  while (!closing()) {
    if (killSwitch && !killSwitch.swept) await sweep(killSwitch);
    await look();
    await condition(() => wake || closing(), settings.everyMs);
    wake = false;
  }
  await condition(() => allHandlersFinished() && alertsInFlight === 0);
  await continueAsNew<typeof riskWorkflow>({ ...input, carried: { memory, killSwitch, dropped } });
}
