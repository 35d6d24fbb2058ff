SELECT plan_id, plan_name, tier FROM warehouse.landing.plans
