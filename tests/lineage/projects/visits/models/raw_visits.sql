SELECT visit_id, site_id, duration_s, agent FROM landing.visits
