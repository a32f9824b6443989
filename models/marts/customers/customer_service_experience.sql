{#- One row per customer (pseudonymous customer_id) with a ticket or a
    purchase by the as-of instant: their support history joined with their
    purchases. The worst first-response tier grades each answered ticket
    against its channel group's bounds (int_tickets_first_response_graded)
    and keeps the lowest; the mean CSAT averages each rated ticket's latest
    score. -#}

{{ config(**incremental_by('customer_id', per_customer=true)) }}

-- depends_on: {{ ref('int_customers_changed') }}

with

tickets as (
    select modelled_tickets.*
    from {{ ref('fct_tickets') }} as modelled_tickets
    where
        modelled_tickets.customer_id is not null
        and {{ in_changed_customers('modelled_tickets.customer_id') }}
),

graded_tickets as (
    select graded.*
    from {{ ref('int_tickets_first_response_graded') }} as graded
    where
        graded.customer_id is not null
        and graded.first_response_tier is not null
        and {{ in_changed_customers('graded.customer_id') }}
),

purchases as (
    select customer_purchases.*
    from {{ ref('int_customer_purchases') }} as customer_purchases
    where {{ in_changed_customers('customer_purchases.customer_id') }}
),

support_histories as (
    select
        customer_id,
        count(*) as tickets,
        count(csat_score) as rated_tickets,
        avg(cast(csat_score as {{ type_double() }})) as mean_csat_score,
        max(case when is_abandoned then 1 else 0 end) as has_abandoned_ticket,
        max(case when not is_solved then 1 else 0 end) as has_unresolved_ticket,
        max(case when is_first_response_breached then 1 else 0 end)
            as has_first_response_breach,
        min(created_at) as first_contact_at,
        max(created_at) as last_contact_at
    from tickets
    group by customer_id
),

{# The worst graded ticket; among equally bad ones, the earliest. #}
ranked_tiers as (
    select
        customer_id,
        first_response_tier,
        first_response_tier_rank,
        row_number() over (
            partition by customer_id
            order by first_response_tier_rank, created_at, ticket_id
        ) as tier_order
    from graded_tickets
),

worst_tiers as (
    select
        customer_id,
        first_response_tier,
        first_response_tier_rank
    from ranked_tiers
    where tier_order = 1
),

order_histories as (
    select
        customer_id,
        count(*) as orders,
        sum(total_amount) as revenue,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from purchases
    group by customer_id
),

customers as (
    select customer_id from support_histories
    union
    select customer_id from order_histories
),

final as (
    select
        customers.customer_id,
        worst_tiers.first_response_tier as worst_first_response_tier,
        cast(worst_tiers.first_response_tier_rank as {{ dbt.type_int() }})
            as worst_first_response_tier_rank,
        cast(coalesce(support_histories.tickets, 0) as {{ dbt.type_bigint() }}) as tickets,
        cast(coalesce(support_histories.rated_tickets, 0) as {{ dbt.type_bigint() }})
            as rated_tickets,
        cast(support_histories.mean_csat_score as {{ type_double() }}) as mean_csat_score,
        cast(coalesce(order_histories.orders, 0) as {{ dbt.type_bigint() }}) as orders,
        cast(coalesce(order_histories.revenue, 0) as {{ type_double() }}) as revenue,
        support_histories.customer_id is not null as has_contacted_support,
        coalesce(support_histories.has_abandoned_ticket = 1, false) as has_abandoned_ticket,
        coalesce(support_histories.has_unresolved_ticket = 1, false) as has_unresolved_ticket,
        coalesce(support_histories.has_first_response_breach = 1, false)
            as has_first_response_breach,
        order_histories.first_order_date,
        order_histories.last_order_date,
        support_histories.first_contact_at,
        support_histories.last_contact_at
    from customers
    left join support_histories
        on customers.customer_id = support_histories.customer_id
    left join worst_tiers
        on customers.customer_id = worst_tiers.customer_id
    left join order_histories
        on customers.customer_id = order_histories.customer_id
)

select * from final
