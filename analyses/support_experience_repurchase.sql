{# Do customers come back less after a bad first support contact? The
   support_experience_outcomes comparison rounded for reading: per
   dimension, the good and the bad group's repurchase and retention rates
   with their counts, the difference in percentage points and the z-score
   (|z| >= 1.96: significant at 5 %). #}

with

outcomes as (
    select * from {{ ref('support_experience_outcomes') }}
)

select
    dimension,
    good_experience,
    bad_experience,
    good_customers,
    good_repurchased_customers,
    round(good_repurchase_pct, 1) as good_repurchase_pct,
    bad_customers,
    bad_repurchased_customers,
    round(bad_repurchase_pct, 1) as bad_repurchase_pct,
    round(repurchase_difference_pp, 1) as repurchase_difference_pp,
    round(repurchase_z_score, 2) as repurchase_z_score,
    good_prior_customers,
    round(good_retention_pct, 1) as good_retention_pct,
    bad_prior_customers,
    round(bad_retention_pct, 1) as bad_retention_pct,
    round(retention_difference_pp, 1) as retention_difference_pp,
    round(retention_z_score, 2) as retention_z_score
from outcomes
order by dimension_order
