with

counts as (
    select * from {{ ref('int_retention_periods_counted') }}
),

final as (
    select
        period_grain,
        period_start,
        cast(customers_start as {{ dbt.type_bigint() }}) as customers_start,
        cast(customers_new as {{ dbt.type_bigint() }}) as customers_new,
        cast(customers_end as {{ dbt.type_bigint() }}) as customers_end,
        cast(customers_reactivated as {{ dbt.type_bigint() }}) as customers_reactivated,
        cast(customers_churned as {{ dbt.type_bigint() }}) as customers_churned,
        {# The published formula, kept literally: (end - new) / start. -#}
        cast(
            100 * cast(customers_end - customers_new as {{ type_double() }})
            / nullif(customers_start, 0)
            as {{ type_double() }}
        ) as retention_rate_pct,
        cast(
            100 * cast(customers_start - customers_churned as {{ type_double() }})
            / nullif(customers_start, 0)
            as {{ type_double() }}
        ) as strict_retention_rate_pct
    from counts
)

select * from final
