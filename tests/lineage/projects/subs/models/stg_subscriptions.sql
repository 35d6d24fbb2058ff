SELECT subscription_id, plan_id, price, state, started_on
FROM raw_subscriptions
WHERE state != 'trial'
