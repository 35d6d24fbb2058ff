SELECT subscription_id, plan_id, price, state, started_on FROM warehouse.landing.subscriptions
