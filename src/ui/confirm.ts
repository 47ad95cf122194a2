import {checkTypedAnswer, decideConfirmation, type ConfirmationDecision, type ConfirmationRequest} from '../guards/confirmation-rule.js'

/**
 * The one confirmation prompt. `confirmOperation` applies the confirmation rule
 * (src/guards/confirmation-rule.ts) and, when the rule says to ask, asks for the environment's
 * name with inquirer on stderr. Throws UsageError (exit 2) when the operation must not go ahead;
 * nothing has changed by then.
 */

/** A terminal on both ends and not CI: the only case where mygate may ask a question. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !process.env.CI
}

/** Asks the question and resolves to what was typed. */
export type AskTyped = (question: string) => Promise<string>

/** The inquirer prompt, on stderr (stdout carries only results). Loaded lazily: it costs 0.4 s. */
export const askTyped: AskTyped = async (question) => {
  const {createPromptModule} = await import('inquirer')
  const prompt = createPromptModule({output: process.stderr})
  const answers = await prompt<{typed: string}>([{type: 'input', name: 'typed', message: question}])
  return typeof answers.typed === 'string' ? answers.typed : ''
}

/** Resolves with the decision that let the operation proceed; throws when it must not. */
export async function confirmOperation(request: ConfirmationRequest, ask: AskTyped = askTyped): Promise<Extract<ConfirmationDecision, {kind: 'proceed' | 'ask'}>> {
  const decision = decideConfirmation(request)
  if (decision.kind === 'refuse') throw decision.error
  if (decision.kind === 'ask') {
    const wrong = checkTypedAnswer(await ask(decision.question), decision.expected)
    if (wrong) throw wrong
  }
  return decision
}
