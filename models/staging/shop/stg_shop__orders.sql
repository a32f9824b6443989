{{ config(**incremental_by('order_id')) }}

with

order_versions as (
    select * from {{ ref('base_shop__orders') }}
    where
        rejection_reasons is null
        and {{ in_new_rows(ref('base_shop__orders'), 'order_id') }}
),

ranked as (
    select
        *,
        {# Orders carry no updated_at: the later export file wins, then
            the later row. -#}
        row_number() over (
            partition by order_id
            order by source_file desc, source_row_number desc
        ) as version_rank
    from order_versions
),

latest as (
    select
        order_id,
        customer_id,
        currency,
        financial_status,
        source_file,
        source_row_number,
        total_amount,
        is_test,
        cancelled_at is not null or financial_status = 'voided' as is_cancelled,
        cancelled_at is null
        and coalesce(financial_status, '') != 'voided'
        and not is_test as is_purchase,
        created_at,
        cancelled_at
    from ranked
    where version_rank = 1
)

select * from latest
