{#- The build's reference instant: var('as_of') when set, otherwise the
    latest timestamp found in the exports. No model reads the clock. -#}

with

latest_event_times as (
    select max(updated_at) as latest_at from {{ ref('stg_helpdesk__tickets') }}
    union all
    select max(created_at) as latest_at from {{ ref('stg_helpdesk__ticket_messages') }}
    union all
    select max(responded_at) as latest_at from {{ ref('stg_helpdesk__surveys') }}
    union all
    select max(created_at) as latest_at from {{ ref('stg_shop__orders') }}
),

as_of as (
    select
        {% if var('as_of') | string | trim not in ('', 'None') -%}
            max(cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }}))
        {%- else -%}
            max(latest_at)
        {%- endif %} as as_of_at
    from latest_event_times
),

final as (
    select
        as_of_at,
        {{ to_reporting_date('as_of_at') }} as as_of_date
    from as_of
)

select * from final
