SELECT event_id, user_id, score
FROM source.events
