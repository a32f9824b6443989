{#- One row per experience dimension of a customer's first support contact
    (first response within its SLA target or breached; resolved or
    abandoned; CSAT 4-5 or 1-3): for the good and the bad group, the
    customers, those who purchased in the follow-up window and their share,
    and among customers who had purchased by the contact day, those retained
    (a purchase in the window); then good minus bad in percentage points and
    the pooled two-proportion z-score. Only customers whose window has ended
    count (int_customers_first_contact_outcomes). -#}

with

contacts as (
    select * from {{ ref('int_customers_first_contact_outcomes') }}
),

dimensions as (
    select
        'first_response' as dimension,
        'within target' as good_experience,
        'breached' as bad_experience,
        1 as dimension_order
    union all
    select
        'outcome' as dimension,
        'resolved' as good_experience,
        'abandoned' as bad_experience,
        2 as dimension_order
    union all
    select
        'csat' as dimension,
        'csat 4-5' as good_experience,
        'csat 1-3' as bad_experience,
        3 as dimension_order
),

{# One row per customer and dimension on which their contact is classified. #}
classified as (
    select
        'first_response' as dimension,
        first_response_experience as experience,
        has_purchased_before,
        has_repurchased
    from contacts
    where first_response_experience is not null
    union all
    select
        'outcome' as dimension,
        outcome_experience as experience,
        has_purchased_before,
        has_repurchased
    from contacts
    where outcome_experience is not null
    union all
    select
        'csat' as dimension,
        csat_experience as experience,
        has_purchased_before,
        has_repurchased
    from contacts
    where csat_experience is not null
),

counted as (
    select
        dimension,
        sum(case when experience = 'good' then 1 else 0 end) as good_customers,
        sum(case when experience = 'good' and has_repurchased then 1 else 0 end)
            as good_repurchased_customers,
        sum(case when experience = 'good' and has_purchased_before then 1 else 0 end)
            as good_prior_customers,
        sum(
            case
                when experience = 'good' and has_purchased_before and has_repurchased then 1
                else 0
            end
        ) as good_retained_customers,
        sum(case when experience = 'bad' then 1 else 0 end) as bad_customers,
        sum(case when experience = 'bad' and has_repurchased then 1 else 0 end)
            as bad_repurchased_customers,
        sum(case when experience = 'bad' and has_purchased_before then 1 else 0 end)
            as bad_prior_customers,
        sum(
            case
                when experience = 'bad' and has_purchased_before and has_repurchased then 1
                else 0
            end
        ) as bad_retained_customers
    from classified
    group by dimension
),

{# Every dimension has its row, with zero counts when nobody falls in it. #}
filled as (
    select
        dimensions.dimension,
        dimensions.good_experience,
        dimensions.bad_experience,
        dimensions.dimension_order,
        coalesce(counted.good_customers, 0) as good_customers,
        coalesce(counted.good_repurchased_customers, 0) as good_repurchased_customers,
        coalesce(counted.good_prior_customers, 0) as good_prior_customers,
        coalesce(counted.good_retained_customers, 0) as good_retained_customers,
        coalesce(counted.bad_customers, 0) as bad_customers,
        coalesce(counted.bad_repurchased_customers, 0) as bad_repurchased_customers,
        coalesce(counted.bad_prior_customers, 0) as bad_prior_customers,
        coalesce(counted.bad_retained_customers, 0) as bad_retained_customers
    from dimensions
    left join counted
        on dimensions.dimension = counted.dimension
),

rated as (
    select
        *,
        100 * cast(good_repurchased_customers as {{ type_double() }})
        / nullif(good_customers, 0) as good_repurchase_pct,
        100 * cast(bad_repurchased_customers as {{ type_double() }})
        / nullif(bad_customers, 0) as bad_repurchase_pct,
        {{ two_proportion_z_score(
            'good_repurchased_customers', 'good_customers',
            'bad_repurchased_customers', 'bad_customers'
        ) }} as repurchase_z_score,
        100 * cast(good_retained_customers as {{ type_double() }})
        / nullif(good_prior_customers, 0) as good_retention_pct,
        100 * cast(bad_retained_customers as {{ type_double() }})
        / nullif(bad_prior_customers, 0) as bad_retention_pct,
        {{ two_proportion_z_score(
            'good_retained_customers', 'good_prior_customers',
            'bad_retained_customers', 'bad_prior_customers'
        ) }} as retention_z_score
    from filled
),

final as (
    select
        dimension,
        good_experience,
        bad_experience,
        cast({{ var('repurchase_window_days') | int }} as {{ dbt.type_int() }})
            as repurchase_window_days,
        cast(good_customers as {{ dbt.type_bigint() }}) as good_customers,
        cast(good_repurchased_customers as {{ dbt.type_bigint() }}) as good_repurchased_customers,
        cast(good_repurchase_pct as {{ type_double() }}) as good_repurchase_pct,
        cast(bad_customers as {{ dbt.type_bigint() }}) as bad_customers,
        cast(bad_repurchased_customers as {{ dbt.type_bigint() }}) as bad_repurchased_customers,
        cast(bad_repurchase_pct as {{ type_double() }}) as bad_repurchase_pct,
        cast(good_repurchase_pct - bad_repurchase_pct as {{ type_double() }})
            as repurchase_difference_pp,
        cast(repurchase_z_score as {{ type_double() }}) as repurchase_z_score,
        cast(good_prior_customers as {{ dbt.type_bigint() }}) as good_prior_customers,
        cast(good_retained_customers as {{ dbt.type_bigint() }}) as good_retained_customers,
        cast(good_retention_pct as {{ type_double() }}) as good_retention_pct,
        cast(bad_prior_customers as {{ dbt.type_bigint() }}) as bad_prior_customers,
        cast(bad_retained_customers as {{ dbt.type_bigint() }}) as bad_retained_customers,
        cast(bad_retention_pct as {{ type_double() }}) as bad_retention_pct,
        cast(good_retention_pct - bad_retention_pct as {{ type_double() }})
            as retention_difference_pp,
        cast(retention_z_score as {{ type_double() }}) as retention_z_score,
        cast(dimension_order as {{ dbt.type_int() }}) as dimension_order
    from rated
)

select * from final
