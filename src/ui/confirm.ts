import {UsageError} from '../errors.js'

export interface ConfirmOptions {
  /** What is being destroyed, e.g. "environment demo". */
  action: string
  /** The name the user must type (or pass with --confirm). */
  name: string
  /** Protected targets (prod) need --confirm NAME even with --yes. */
  protectedTarget: boolean
  yes: boolean
  confirm?: string
  /** A person at a terminal who can be asked. */
  canPrompt: boolean
}

/** A terminal on both ends and not CI: the only case where mygate may ask a question. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !process.env.CI
}

/**
 * Guards a destructive operation. In a terminal it asks for the target's name to be typed;
 * without one it never prompts: --yes is required, and for protected targets --confirm NAME too.
 */
export async function confirmDestructive(options: ConfirmOptions): Promise<void> {
  if (options.confirm !== undefined && options.confirm !== options.name) {
    throw new UsageError(`--confirm "${options.confirm}" does not match "${options.name}"`, {hint: `pass --confirm ${options.name}`})
  }
  if (options.protectedTarget && options.yes && options.confirm !== options.name && !options.canPrompt) {
    throw new UsageError(`${options.action} is protected: --yes alone is not enough`, {hint: `pass --yes --confirm ${options.name}`})
  }
  if (options.yes && (!options.protectedTarget || options.confirm === options.name)) return
  if (!options.canPrompt) {
    throw new UsageError(`refusing to ${options.action} without confirmation: there is no terminal to ask in`, {
      hint: options.protectedTarget ? `pass --yes --confirm ${options.name}` : 'pass --yes',
    })
  }
  const {createPromptModule} = await import('inquirer')
  const prompt = createPromptModule({output: process.stderr})
  const answers = await prompt<{typed: string}>([{type: 'input', name: 'typed', message: `Type "${options.name}" to ${options.action}:`}])
  const typed = String(answers.typed ?? '')
  if (typed.trim() !== options.name) {
    throw new UsageError(`confirmation "${typed.trim()}" does not match "${options.name}"; nothing was changed`, {hint: 'run the command again and type the exact name'})
  }
}
