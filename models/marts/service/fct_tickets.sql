{#- One row per ticket: int_tickets_measured with its business-hour, SLA
    and status-time columns. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}

with

tickets as (
    select measured_tickets.*
    from {{ ref('int_tickets_measured') }} as measured_tickets
    where {{ in_changed_tickets('measured_tickets.ticket_id') }}
),

business_times as (
    select business_timed_tickets.*
    from {{ ref('int_tickets_business_timed') }} as business_timed_tickets
    where {{ in_changed_tickets('business_timed_tickets.ticket_id') }}
),

status_times as (
    select status_timed_tickets.*
    from {{ ref('int_tickets_status_timed') }} as status_timed_tickets
    where {{ in_changed_tickets('status_timed_tickets.ticket_id') }}
),

final as (
    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.agent_id,
        tickets.channel,
        tickets.category,
        tickets.priority,
        tickets.status,
        business_times.business_calendar,
        business_times.first_response_sla_clock,
        business_times.resolution_sla_clock,
        tickets.first_response_minutes,
        cast(business_times.first_response_business_minutes as {{ type_double() }})
            as first_response_business_minutes,
        tickets.agent_reply_count,
        tickets.bot_message_count,
        tickets.answered_customer_turns,
        tickets.customer_wait_seconds,
        tickets.resolution_minutes,
        cast(business_times.resolution_business_minutes as {{ type_double() }})
            as resolution_business_minutes,
        cast(business_times.first_response_target_minutes as {{ dbt.type_int() }})
            as first_response_target_minutes,
        cast(business_times.resolution_target_minutes as {{ dbt.type_int() }})
            as resolution_target_minutes,
        {%- for name in ['requester_wait', 'agent_wait', 'on_hold', 'agent_work'] %}
            cast(status_times.{{ name }}_minutes as {{ type_double() }}) as {{ name }}_minutes,
            cast(status_times.{{ name }}_business_minutes as {{ type_double() }})
                as {{ name }}_business_minutes,
        {%- endfor %}
        tickets.history_solve_count,
        tickets.history_reopen_count,
        tickets.csat_score,
        tickets.nps_score,
        tickets.is_solved,
        tickets.is_one_touch,
        tickets.is_self_served,
        tickets.is_reopened,
        tickets.is_abandoned,
        tickets.is_escalated,
        tickets.is_repeat_contact,
        tickets.is_first_contact_resolved,
        business_times.is_first_response_breached,
        business_times.is_resolution_breached,
        tickets.created_at,
        tickets.first_responded_at,
        tickets.solved_at,
        business_times.first_response_breach_at,
        business_times.resolution_breach_at
    from tickets
    left join business_times
        on tickets.ticket_id = business_times.ticket_id
    left join status_times
        on tickets.ticket_id = status_times.ticket_id
)

select * from final
