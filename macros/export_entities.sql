{% macro export_entities() %}
    {#- The canonical export entities: file prefix, required and optional
        columns. Single source of truth for the raw layer. -#}
    {{ return({
        'tickets': {
            'required': ['ticket_id', 'created_at', 'updated_at', 'channel', 'status'],
            'optional': ['requester_email', 'assignee_id', 'team', 'category',
                         'priority', 'tags', 'is_escalated', 'solved_at', 'reopen_count'],
            'is_required_entity': true,
        },
        'ticket_messages': {
            'required': ['message_id', 'ticket_id', 'created_at', 'author_role'],
            'optional': ['is_public'],
            'is_required_entity': false,
        },
        'ticket_status_changes': {
            'required': ['ticket_id', 'changed_at', 'status'],
            'optional': [],
            'is_required_entity': false,
        },
        'surveys': {
            'required': ['response_id', 'survey_type', 'score', 'responded_at'],
            'optional': ['ticket_id', 'respondent_email', 'comment'],
            'is_required_entity': false,
        },
        'orders': {
            'required': ['order_id', 'customer_email', 'created_at'],
            'optional': ['total_amount', 'currency', 'financial_status',
                         'cancelled_at', 'is_test'],
            'is_required_entity': false,
        },
    }) }}
{% endmacro %}

{% macro export_entity_models() %}
    {#- Per export entity, the model holding one row per row read (base),
        the deduplicated model (staged), and the model that checks the kept
        rows against their ticket (checked, or none). -#}
    {{ return([
        {'entity': 'tickets', 'base': 'base_helpdesk__tickets',
         'staged': 'stg_helpdesk__tickets', 'checked': none},
        {'entity': 'ticket_messages', 'base': 'base_helpdesk__ticket_messages',
         'staged': 'stg_helpdesk__ticket_messages', 'checked': 'int_ticket_messages_checked'},
        {'entity': 'ticket_status_changes', 'base': 'base_helpdesk__ticket_status_changes',
         'staged': 'stg_helpdesk__ticket_status_changes',
         'checked': 'int_ticket_status_changes_checked'},
        {'entity': 'surveys', 'base': 'base_helpdesk__surveys',
         'staged': 'stg_helpdesk__surveys', 'checked': 'int_surveys_checked'},
        {'entity': 'orders', 'base': 'base_shop__orders',
         'staged': 'stg_shop__orders', 'checked': none},
    ]) }}
{% endmacro %}
