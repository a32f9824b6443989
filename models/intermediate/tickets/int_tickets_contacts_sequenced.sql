{#- One row per ticket of a known customer: the customer's previous and next
    ticket in the same category (a missing category is one category), and
    whether either falls inside var('repeat_contact_window_days'). The window
    is inclusive: a contact exactly N days apart counts. -#}

{%- set window_days = var('repeat_contact_window_days') | int %}

with

tickets as (
    select
        staged.ticket_id,
        staged.customer_id,
        coalesce(staged.category, '') as category_key,
        staged.created_at
    from {{ ref('stg_helpdesk__tickets') }} as staged
    cross join {{ ref('int_build_as_of') }} as as_of
    where staged.customer_id is not null and staged.created_at <= as_of.as_of_at
),

sequenced as (
    select
        ticket_id,
        created_at,
        lag(created_at) over (
            partition by customer_id, category_key
            order by created_at, ticket_id
        ) as previous_contact_at,
        lead(created_at) over (
            partition by customer_id, category_key
            order by created_at, ticket_id
        ) as next_contact_at
    from tickets
),

final as (
    select
        ticket_id,
        coalesce(
            previous_contact_at >= {{ dbt.dateadd('day', -window_days, 'created_at') }},
            false
        ) as is_repeat_contact,
        coalesce(
            next_contact_at <= {{ dbt.dateadd('day', window_days, 'created_at') }},
            false
        ) as is_followed_by_repeat_contact,
        previous_contact_at,
        next_contact_at
    from sequenced
)

select * from final
