import {describe, expect, test} from 'vitest'

import {decideConfirmation, isProductionTier, tierForGuard, type ConfirmationRequest} from '../../../src/guards/confirmation-rule.js'
import {confirmOperation} from '../../../src/ui/confirm.js'

type Tier = 'dev' | 'staging' | 'prod' | undefined

interface Row {
  tier: Tier
  terminal: boolean
  yes?: boolean
  confirm?: string
  approve?: boolean
  destructive: boolean
}

/** A request for environment "p1" with the row's facts; destroy-like when destructive, deploy-like (has --approve) otherwise. */
function request(row: Row): ConfirmationRequest {
  return {
    environment: 'p1',
    tier: row.tier,
    destructive: row.destructive,
    action: row.destructive ? 'destroy environment p1' : 'deploy to prod environment p1',
    doing: row.destructive ? 'destroying environment p1' : 'deploying to prod environment p1',
    terminal: row.terminal,
    yes: row.yes ?? false,
    confirm: row.confirm,
    approve: row.approve,
  }
}

/** 'proceed:<because>' | 'ask' | 'refuse:<message> (<hint>)' */
function outcome(row: Row): string {
  const decision = decideConfirmation(request(row))
  if (decision.kind === 'proceed') return `proceed:${decision.because}`
  if (decision.kind === 'ask') return `ask:${decision.question}`
  return `refuse:${decision.error.message} (${decision.error.hint})`
}

describe('the confirmation rule (tier x terminal x flags x destructive)', () => {
  const ASK_DESTROY = 'ask:Type "p1" to destroy environment p1:'
  const ASK_DEPLOY = 'ask:Type "p1" to deploy to prod environment p1:'
  const cases: Array<[string, Row, string]> = [
    // Non-production, not destructive (a deploy to dev or staging): nothing to ask, ever.
    ['dev deploy in a terminal', {tier: 'dev', terminal: true, approve: false, destructive: false}, 'proceed:not production'],
    ['dev deploy in CI', {tier: 'dev', terminal: false, approve: false, destructive: false}, 'proceed:not production'],
    ['staging deploy in CI', {tier: 'staging', terminal: false, approve: false, destructive: false}, 'proceed:not production'],
    // Non-production and destructive (env destroy demo): typed name in a terminal, --yes skips it.
    ['dev destroy in a terminal asks for the name', {tier: 'dev', terminal: true, destructive: true}, ASK_DESTROY],
    ['dev destroy in a terminal with --yes', {tier: 'dev', terminal: true, yes: true, destructive: true}, 'proceed:--yes'],
    ['dev destroy in CI with --yes', {tier: 'dev', terminal: false, yes: true, destructive: true}, 'proceed:--yes'],
    ['staging destroy in CI with --yes', {tier: 'staging', terminal: false, yes: true, destructive: true}, 'proceed:--yes'],
    ['dev destroy in CI without --yes', {tier: 'dev', terminal: false, destructive: true}, 'refuse:destroying environment p1 needs confirmation, and there is no terminal to ask in (pass --yes)'],
    ['dev destroy in CI with --confirm NAME', {tier: 'dev', terminal: false, confirm: 'p1', destructive: true}, 'proceed:--confirm'],
    // Production, destructive: the name, typed or --confirm NAME; --yes never enough.
    ['prod destroy in a terminal asks', {tier: 'prod', terminal: true, destructive: true}, ASK_DESTROY],
    ['prod destroy in a terminal with --yes still asks', {tier: 'prod', terminal: true, yes: true, destructive: true}, ASK_DESTROY],
    ['prod destroy in CI with --yes', {tier: 'prod', terminal: false, yes: true, destructive: true}, 'refuse:--yes alone is not enough for destroying environment p1: it is a prod-tier environment (pass --yes --confirm p1)'],
    ['prod destroy in CI without flags', {tier: 'prod', terminal: false, destructive: true}, 'refuse:destroying environment p1 needs confirmation, and there is no terminal to ask in (pass --yes --confirm p1)'],
    ['prod destroy in CI with --yes --confirm NAME', {tier: 'prod', terminal: false, yes: true, confirm: 'p1', destructive: true}, 'proceed:--confirm'],
    ['prod destroy in CI with --confirm NAME alone', {tier: 'prod', terminal: false, confirm: 'p1', destructive: true}, 'proceed:--confirm'],
    ['prod destroy in a terminal with --confirm NAME: no question', {tier: 'prod', terminal: true, confirm: 'p1', destructive: true}, 'proceed:--confirm'],
    ['--confirm naming another environment', {tier: 'prod', terminal: false, yes: true, confirm: 'p2', destructive: true}, 'refuse:--confirm "p2" does not match "p1" (pass --confirm p1)'],
    ['--confirm naming another environment, even in dev', {tier: 'dev', terminal: true, yes: true, confirm: 'p2', destructive: true}, 'refuse:--confirm "p2" does not match "p1" (pass --confirm p1)'],
    ['--approve never approves a destructive operation', {tier: 'prod', terminal: false, yes: true, approve: true, destructive: true}, 'refuse:--yes alone is not enough for destroying environment p1: it is a prod-tier environment (pass --yes --confirm p1)'],
    // Production deploy: --approve is the CI gate; a terminal asks for the name.
    ['prod deploy in CI with --approve', {tier: 'prod', terminal: false, approve: true, destructive: false}, 'proceed:--approve'],
    ['prod deploy in a terminal with --approve: no question', {tier: 'prod', terminal: true, approve: true, destructive: false}, 'proceed:--approve'],
    ['prod deploy in a terminal asks', {tier: 'prod', terminal: true, approve: false, destructive: false}, ASK_DEPLOY],
    ['prod deploy in a terminal with --yes still asks', {tier: 'prod', terminal: true, yes: true, approve: false, destructive: false}, ASK_DEPLOY],
    ['prod deploy in CI without --approve', {tier: 'prod', terminal: false, approve: false, destructive: false}, 'refuse:deploying to prod environment p1 needs approval, and there is no terminal to ask in (pass --approve (CI), or run it in a terminal)'],
    ['prod deploy in CI with --yes', {tier: 'prod', terminal: false, yes: true, approve: false, destructive: false}, 'refuse:--yes alone is not enough for deploying to prod environment p1: it is a prod-tier environment (pass --approve (CI), or run it in a terminal)'],
    // Unknown tier: production (fail closed).
    ['unknown tier destroy in CI with --yes', {tier: undefined, terminal: false, yes: true, destructive: true}, 'refuse:--yes alone is not enough for destroying environment p1: its tier cannot be read, so it is treated as production (pass --yes --confirm p1)'],
    ['unknown tier deploy in CI without --approve', {tier: undefined, terminal: false, approve: false, destructive: false}, 'refuse:deploying to prod environment p1 needs approval, and there is no terminal to ask in (pass --approve (CI), or run it in a terminal)'],
    ['unknown tier deploy with --approve', {tier: undefined, terminal: false, approve: true, destructive: false}, 'proceed:--approve'],
  ]
  test.each(cases)('%s', (_name, row, expected) => {
    expect(outcome(row)).toBe(expected)
  })

  // Every combination, for the properties that must hold everywhere.
  const tiers: Tier[] = ['dev', 'staging', 'prod', undefined]
  const all: Row[] = tiers.flatMap((tier) =>
    [true, false].flatMap((terminal) =>
      [true, false].flatMap((yes) =>
        [undefined, 'p1', 'p2'].flatMap((confirm) =>
          [undefined, false, true].flatMap((approve) => [true, false].map((destructive) => ({tier, terminal, yes, confirm, approve, destructive}))),
        ),
      ),
    ),
  )

  test('never asks without a terminal', () => {
    for (const row of all.filter((r) => !r.terminal)) expect(outcome(row), JSON.stringify(row)).not.toMatch(/^ask/)
  })

  test('production never proceeds on --yes alone, nor on anything but the name or --approve', () => {
    for (const row of all.filter((r) => isProductionTier(r.tier))) {
      const result = outcome(row)
      if (result.startsWith('proceed')) expect(['proceed:--confirm', 'proceed:--approve'], JSON.stringify(row)).toContain(result)
    }
  })

  test('an unknown tier is treated exactly as production', () => {
    for (const row of all.filter((r) => r.tier === undefined)) {
      const asProd = outcome({...row, tier: 'prod'}).replace('it is a prod-tier environment', 'TIER')
      expect(outcome(row).replace('its tier cannot be read, so it is treated as production', 'TIER'), JSON.stringify(row)).toBe(asProd)
    }
  })

  test('a wrong --confirm is refused in every case', () => {
    for (const row of all.filter((r) => r.confirm === 'p2')) expect(outcome(row), JSON.stringify(row)).toMatch(/^refuse:--confirm "p2" does not match "p1"/)
  })

  // An operation that needs the typed name whatever the tier (env destroy --delete-backups).
  const backupsGone = (row: Row) => {
    const decision = decideConfirmation({...request(row), typedNameBecause: 'it deletes the backups'})
    if (decision.kind === 'proceed') return `proceed:${decision.because}`
    if (decision.kind === 'ask') return 'ask'
    return `refuse:${decision.error.message} (${decision.error.hint})`
  }
  test.each<[string, Row, string]>([
    ['dev in CI with --yes', {tier: 'dev', terminal: false, yes: true, destructive: true}, 'refuse:--yes alone is not enough for destroying environment p1: it deletes the backups (pass --yes --confirm p1)'],
    ['dev in a terminal with --yes still asks', {tier: 'dev', terminal: true, yes: true, destructive: true}, 'ask'],
    ['dev in CI with --confirm NAME', {tier: 'dev', terminal: false, confirm: 'p1', destructive: true}, 'proceed:--confirm'],
    ['staging in CI without flags', {tier: 'staging', terminal: false, destructive: true}, 'refuse:destroying environment p1 needs confirmation, and there is no terminal to ask in (pass --yes --confirm p1)'],
    ['prod in CI with --yes says why in its own words', {tier: 'prod', terminal: false, yes: true, destructive: true}, 'refuse:--yes alone is not enough for destroying environment p1: it deletes the backups (pass --yes --confirm p1)'],
  ])('typed name whatever the tier: %s', (_name, row, expected) => {
    expect(backupsGone(row)).toBe(expected)
  })

  test.each([
    ['dev', false], ['staging', false], ['prod', true], [undefined, true], ['production', true], ['', true],
  ])('tier %j is production: %s', (tier, production) => {
    expect(isProductionTier(tier as string | undefined)).toBe(production)
  })
})

describe('confirmOperation: the one prompt', () => {
  const base: ConfirmationRequest = request({tier: 'prod', terminal: true, destructive: true})

  test('asks once and proceeds when the name is typed (surrounding spaces forgiven)', async () => {
    const questions: string[] = []
    const decision = await confirmOperation(base, async (question) => {
      questions.push(question)
      return '  p1 \n'
    })
    expect(decision.kind).toBe('ask')
    expect(questions).toEqual(['Type "p1" to destroy environment p1:'])
  })

  test('a different name changes nothing: exit 2, naming what was typed', async () => {
    const attempt = confirmOperation(base, async () => 'nope')
    await expect(attempt).rejects.toThrow('confirmation "nope" does not match "p1"; nothing was changed')
    await expect(attempt).rejects.toMatchObject({exitCode: 2, hint: 'run the command again and type the exact name'})
  })

  test('never asks when the rule proceeds or refuses', async () => {
    const ask = async (): Promise<string> => {
      throw new Error('must not ask')
    }
    await expect(confirmOperation({...base, confirm: 'p1'}, ask)).resolves.toEqual({kind: 'proceed', because: '--confirm'})
    await expect(confirmOperation({...base, terminal: false, yes: true}, ask)).rejects.toMatchObject({exitCode: 2, hint: 'pass --yes --confirm p1'})
  })
})

describe('the tier a guard decides on', () => {
  test.each([
    // [cached kubeconfig, live record, decided]
    ['prod', undefined, 'prod'], // the cluster does not answer: the cached record decides (issue 9)
    [undefined, 'dev', 'dev'], // an old kubeconfig without the record: the live one decides
    [undefined, undefined, undefined], // neither: unknown, which the rule treats as production
    ['dev', 'dev', 'dev'],
    ['dev', 'prod', 'prod'], // they disagree: the stricter
    ['prod', 'staging', 'prod'],
    ['staging', 'dev', 'staging'],
    ['dev', 'staging', 'staging'],
  ])('cached %j, live %j -> %j', (cached, live, decided) => {
    expect(tierForGuard(cached, live)).toBe(decided)
  })
})
