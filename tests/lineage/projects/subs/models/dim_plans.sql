SELECT plan_id, plan_name, tier FROM raw_plans
