SELECT user_id, total_score
FROM user_scores
WHERE events >= 3
