import { describe, expect, it } from 'bun:test'
import { RuleViolation } from '../../../src/core/errors.ts'
import { DeciderSpecError, deciderSpec } from '../../../src/core/testing/decider-spec.ts'
import { account } from '../../fixtures/account.ts'

const spec = deciderSpec(account)
const opened = { type: 'AccountOpened', data: { owner: 'ada' } } as const
const deposited = (amount: number) => ({ type: 'MoneyDeposited', data: { amount } }) as const

describe('deciderSpec', () => {
  describe('When the account is not open', () => {
    it('opens it', () => {
      spec.given([]).when({ type: 'OpenAccount', owner: 'ada' }).then([opened])
    })
    it('refuses a deposit', () => {
      spec.given([]).when({ type: 'Deposit', amount: 1 }).thenThrows(RuleViolation)
    })
  })

  describe('When the account holds 10', () => {
    const history = [opened, deposited(10)]
    it('allows a withdrawal up to the balance', () => {
      spec
        .given(history)
        .when({ type: 'Withdraw', amount: 10 })
        .then({ type: 'MoneyWithdrawn', data: { amount: 10 } })
    })
    it('refuses a withdrawal past the balance, with the code', () => {
      spec
        .given(history)
        .when({ type: 'Withdraw', amount: 11 })
        .thenThrows((e) => e instanceof RuleViolation && e.code === 'insufficient')
    })
    it('does nothing for a zero deposit', () => {
      spec.given(history).when({ type: 'Deposit', amount: 0 }).thenNothingHappened()
    })
  })

  describe('the DSL itself fails loudly', () => {
    it('then() throws a readable diff when events differ', () => {
      const run = () =>
        spec
          .given([opened])
          .when({ type: 'Deposit', amount: 5 })
          .then([deposited(6)])
      expect(run).toThrow(DeciderSpecError)
      try {
        run()
      } catch (error) {
        expect((error as Error).message).toContain('-       "amount": 6')
        expect((error as Error).message).toContain('+       "amount": 5')
      }
    })
    it('thenThrows() fails when the decider decides instead', () => {
      expect(() => spec.given([opened]).when({ type: 'Deposit', amount: 1 }).thenThrows(RuleViolation)).toThrow(
        'Expected the decider to throw',
      )
    })
    it('thenThrows() fails when the error does not match', () => {
      expect(() => spec.given([]).when({ type: 'Deposit', amount: 1 }).thenThrows(TypeError)).toThrow('does not match')
    })
    it('thenNothingHappened() fails when events were decided', () => {
      expect(() => spec.given([]).when({ type: 'OpenAccount', owner: 'x' }).thenNothingHappened()).toThrow(
        'Expected no events',
      )
    })
  })
})
