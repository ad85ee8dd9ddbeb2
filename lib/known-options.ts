import { ConfigurationError } from './errors';

/**
 * Refuses option keys a function does not know. A misspelt option (`conection`, `concurency`) would
 * otherwise be ignored without a word and the default used instead, which is the worst kind of bug
 * to find in production.
 */
export function refuseUnknownOptions(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigurationError(`${where}: unknown option "${key}". Known options: ${known.join(', ')}.`);
    }
  }
}
